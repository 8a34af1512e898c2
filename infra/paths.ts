import path from 'node:path';

/** Where the local stack keeps binaries, data, logs and pid files (git-ignored). */
export const repoRoot = path.resolve(__dirname, '..');
export const stackDir = path.resolve(process.env.STACK_DIR ?? path.join(repoRoot, '.stack'));
export const binDir = path.join(stackDir, 'bin');
export const cacheDir = path.join(stackDir, 'cache');
export const dataDir = path.join(stackDir, 'data');
export const runDir = path.join(stackDir, 'run');
export const logDir = path.join(stackDir, 'logs');
export const pinsFile = path.join(__dirname, 'pins.json');
export const checksumsFile = path.join(stackDir, 'checksums.json');
