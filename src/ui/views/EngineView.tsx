import { useEffect } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { BACKEND_LABEL } from '../components/BackendSelect.tsx';
import { useEngine } from '../store.ts';

const fmt = (x: number) => (Number.isFinite(x) ? x.toExponential(2) : String(x));

/** The engine panel: which device runs the kernels, its limits, and a self-test against the official model. */
export function EngineView() {
  const { info, startError, selfTest, start, runSelfTest } = useEngine(useShallow((s) => ({
    info: s.info, startError: s.startError, selfTest: s.selfTest, start: s.start, runSelfTest: s.runSelfTest,
  })));
  useEffect(() => { if (!info && !startError) void start(); }, [info, startError, start]);

  return (
    <section className="panel" aria-labelledby="engine-title">
      <h2 id="engine-title">Engine</h2>
      {startError && <p className="error" role="alert">The engine could not start: {startError}</p>}
      {!info && !startError && <p>Starting the engine worker…</p>}
      {info && (
        <>
          <p data-testid="backend">
            Backend: <strong>{BACKEND_LABEL[info.backend]}</strong> — {info.description}
          </p>
          {info.fallbackReason && (
            <p className="notice" role="status">WebGPU does not compute here ({info.fallbackReason.replace(/\.+$/, '')}), so {BACKEND_LABEL[info.backend]} runs everything.</p>
          )}
          {info.adapter && (
            <details>
              <summary>Adapter limits and features</summary>
              <table className="kv" data-testid="limits">
                <tbody>
                  {Object.entries(info.adapter.limits).map(([k, v]) => (
                    <tr key={k}><th>{k}</th><td>{v.toLocaleString()}</td></tr>
                  ))}
                  <tr><th>features</th><td>{info.adapter.features.join(', ') || '—'}</td></tr>
                </tbody>
              </table>
            </details>
          )}
        </>
      )}

      <h3>Self-test against the official FLM DiT</h3>
      <p>
        Runs the golden <code>dit_flm</code> case (V = 37, L = 24, D = 64, 2 blocks, batch 3) forward and backward in the
        engine worker and compares logits, losses and all gradients with the official PyTorch implementation.
      </p>
      <button type="button" onClick={() => void runSelfTest()} disabled={selfTest.status === 'running'} data-testid="run-selftest">
        {selfTest.status === 'running' ? 'Running…' : 'Run self-test'}
      </button>
      {selfTest.error && <p className="error" role="alert" data-testid="selftest-error">Self-test failed to run: {selfTest.error}</p>}
      {selfTest.result && (
        <div data-testid="selftest-result" data-pass={String(selfTest.result.pass)}>
          <p className={selfTest.result.pass ? 'ok' : 'error'} data-testid="selftest-verdict">
            {selfTest.result.pass ? 'PASS' : 'FAIL'} on {selfTest.result.backend} in {selfTest.result.ms.toFixed(0)} ms —
            max relative L2 error: logits <span data-testid="err-logits">{fmt(selfTest.result.max.logits)}</span>,
            loss <span data-testid="err-loss">{fmt(selfTest.result.max.loss)}</span>,
            gradients <span data-testid="err-grads">{fmt(selfTest.result.max.grads)}</span>
          </p>
          <table className="errors">
            <thead><tr><th>quantity</th><th>relative L2 error</th><th>tolerance</th></tr></thead>
            <tbody>
              {selfTest.result.rows.map((r) => (
                <tr key={r.name} className={r.relErr <= selfTest.result!.tolerances[r.kind] ? '' : 'bad'}>
                  <td>{r.name}</td><td>{fmt(r.relErr)}</td><td>{fmt(selfTest.result!.tolerances[r.kind])}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
