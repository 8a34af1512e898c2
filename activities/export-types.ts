/** The export activities' contract, shared by the workflows (types only) and the implementation. */
export interface ExportRef {
  exportId: string;
}

/**
 * What the render activity is asked for. `lang` (pt-BR, es, en) came with issue 15: workflows
 * started before it pass none, and those documents are rendered in pt-BR as before.
 */
export interface RenderRef extends ExportRef {
  lang?: string;
}

export interface ExportResult {
  exportId: string;
  sha256: string;
  pages: number;
  size: number;
  messageCount: number;
}

export interface ExportActivities {
  /** Renders the document from Postgres, prints it, stores `<tenant>/exports/<id>.pdf`, records it. */
  renderExportPdf(ref: RenderRef): Promise<ExportResult>;
  /** Records why an export failed, so the API can say so. */
  markExportFailed(ref: ExportRef & { error: string }): Promise<void>;
}
