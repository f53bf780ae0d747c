/**
 * Export the orders a filter matches, every one of them (not the page shown), as CSV or JSON
 * lines: the server streams the file (GET /api/orders/export).
 */
import { useState } from 'react';
import { downloadExport, type ExportFilters, type ExportFormat } from '../api/operations.ts';
import { ApiError } from '../api/client.ts';
import './operations.css';

const FORMAT_LABEL: Record<ExportFormat, string> = { csv: 'CSV', ndjson: 'JSON lines' };

export function ExportButton({ filters, compact = false, label }: { filters: ExportFilters; compact?: boolean; label?: string }) {
  const [busy, setBusy] = useState<ExportFormat | null>(null);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);

  const download = async (format: ExportFormat) => {
    setBusy(format);
    setOutcome(null);
    try {
      const name = await downloadExport(filters, format);
      setOutcome({ ok: true, text: `Downloading ${name}` });
    } catch (error) {
      const detail = error instanceof ApiError ? error.detail || error.title : (error as Error).message;
      setOutcome({ ok: false, text: `Export failed: ${detail}` });
    } finally {
      setBusy(null);
    }
  };

  const formats: ExportFormat[] = compact ? ['csv'] : ['csv', 'ndjson'];
  return (
    <span className={`export${compact ? ' export--compact' : ''}`} role="group" aria-label={label ?? 'Export every order matching the filters'}>
      {formats.map((format) => (
        <button
          key={format}
          type="button"
          className="btn btn--small"
          onClick={() => void download(format)}
          disabled={busy !== null}
          title={label ?? `Every order matching the filters, as ${FORMAT_LABEL[format]}`}
          data-testid={compact ? undefined : `export-${format}`}
          data-export={format}
        >
          {busy === format ? 'Exporting…' : compact ? 'Export' : `Export ${FORMAT_LABEL[format]}`}
        </button>
      ))}
      {outcome && (
        <span className={`export__outcome ${outcome.ok ? 'ok-text' : 'error-text'}`} role={outcome.ok ? 'status' : 'alert'}>
          {outcome.text}
        </span>
      )}
    </span>
  );
}
