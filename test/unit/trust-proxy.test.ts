import { trustProxyFn } from '../../api/plugins/trust-proxy';
import { ConfigError, loadConfig } from '../../lib/config';

test('TRUST_PROXY: empty trusts nobody; a hop count or CIDRs are parsed; anything else is refused', () => {
  expect(loadConfig({}).TRUST_PROXY).toBeNull();
  expect(loadConfig({ TRUST_PROXY: '1' }).TRUST_PROXY).toEqual({ hops: 1 });
  expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 2001:db8::/32,192.0.2.7' }).TRUST_PROXY).toEqual({
    proxies: ['10.0.0.0/8', '2001:db8::/32', '192.0.2.7'],
  });
  for (const bad of ['true', '10.0.0.0/33', 'ingress.local', '1.2.3.4/8/9', '*']) {
    expect(() => loadConfig({ TRUST_PROXY: bad })).toThrow(ConfigError);
    expect(() => loadConfig({ TRUST_PROXY: bad })).toThrow(/TRUST_PROXY: must be a number of proxy hops/);
  }
});

test('a hop count believes only proxies on loopback or private networks; a list only its members', () => {
  const none = trustProxyFn(null);
  expect(none('127.0.0.1', 0)).toBe(false);
  const one = trustProxyFn({ hops: 1 });
  expect(one('10.4.0.9', 0)).toBe(true);
  expect(one('::ffff:10.4.0.9', 0)).toBe(true);
  expect(one('10.4.0.9', 1)).toBe(false);
  expect(one('203.0.113.5', 0)).toBe(false);
  const listed = trustProxyFn({ proxies: ['35.191.0.0/16', '192.0.2.7'] });
  expect(listed('35.191.4.4', 3)).toBe(true);
  expect(listed('192.0.2.7', 0)).toBe(true);
  expect(listed('192.0.2.8', 0)).toBe(false);
  expect(listed('10.0.0.1', 0)).toBe(false);
});
