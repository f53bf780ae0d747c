/** `/system`: what the running setup guarantees (durability) and how it is doing (backlogs). */
import { useEffect } from 'react';
import { useSystem } from '../api/queries.ts';
import { ErrorMessage, Loading } from '../components/states.tsx';
import { formatBytes, formatCount } from '../format.ts';

export function SystemPage() {
  const query = useSystem();
  useEffect(() => {
    document.title = 'System · saga inspector';
  }, []);
  const system = query.data;
  if (query.isLoading) return <div className="page"><Loading what="the system status" /></div>;
  if (!system) return <div className="page"><ErrorMessage error={query.error} what="the system status" retry={() => void query.refetch()} /></div>;

  const replicas = new Set([...system.streams.map((s) => s.replicas), ...system.buckets.map((b) => b.replicas)]);
  return (
    <div className="page">
      <h1 className="page-title">System</h1>
      {query.error && <ErrorMessage error={query.error} what="the latest system status" retry={() => void query.refetch()} />}
      <div className="system-grid">
        <section className="card" aria-labelledby="nats-title">
          <h2 id="nats-title" className="card__title">NATS</h2>
          <dl className="facts">
            <dt>version</dt>
            <dd className="mono" data-testid="nats-version">{system.nats.version}</dd>
            <dt>server</dt>
            <dd className="mono">{system.nats.server}</dd>
            <dt>cluster</dt>
            <dd>
              {system.nats.cluster
                ? `${system.nats.cluster.name} · ${system.nats.cluster.size} nodes`
                : 'single server (no cluster)'}
            </dd>
            <dt>replicas</dt>
            <dd>{[...replicas].sort().join(', ') || '—'}</dd>
          </dl>
        </section>
        <section className={`card durability durability--${system.durability.level}`} aria-labelledby="durability-title">
          <h2 id="durability-title" className="card__title">Durability</h2>
          <p className="durability__level">
            survives <strong>{system.durability.level === 'os-crash' ? 'an OS crash or power loss' : 'a process crash'}</strong>
          </p>
          <p>{system.durability.summary}</p>
          <dl className="facts">
            <dt>sync</dt>
            <dd className="mono">{system.durability.syncInterval}</dd>
          </dl>
        </section>
        <section className={`card${system.deadLetters.waiting > 0 ? ' card--alert' : ''}`} aria-labelledby="dlq-title">
          <h2 id="dlq-title" className="card__title">Dead letters</h2>
          <p className="big-number" data-testid="dead-letters">{formatCount(system.deadLetters.waiting)}</p>
          <p className="muted">{system.deadLetters.waiting > 0 ? 'waiting in the dead-letter stream for a look' : 'none waiting'}</p>
        </section>
        <section className={`card${system.exposure.warnings.length > 0 ? ' card--alert' : ''}`} aria-labelledby="exposure-title" data-testid="exposure">
          <h2 id="exposure-title" className="card__title">Exposure</h2>
          {system.exposure.insecureOpenApi && (
            <p role="alert">
              <strong>INSECURE: ALLOW_INSECURE_OPEN_API=true</strong> — anyone who reaches {system.exposure.listen} may act on orders
            </p>
          )}
          <dl className="facts">
            <dt>listens on</dt>
            <dd className="mono">{system.exposure.listen}{system.exposure.loopbackOnly ? ' (this machine only)' : ''}</dd>
            <dt>actions</dt>
            <dd>{system.exposure.actionsNeedToken ? 'need OPS_TOKEN' : 'open to anyone who reaches the API'}</dd>
            <dt>reads</dt>
            <dd>{system.exposure.readsNeedToken ? 'need a token' : 'open to anyone who reaches the API'}</dd>
            <dt>Host check</dt>
            <dd>{system.exposure.hostCheck ? 'on' : 'off (TRUSTED_HOSTS=*)'}</dd>
          </dl>
          {system.exposure.warnings.map((warning) => (
            <p key={warning} className="muted">{warning}</p>
          ))}
        </section>
      </div>

      <section className="card" aria-labelledby="consumers-title">
        <h2 id="consumers-title" className="card__title">Consumers</h2>
        <div className="table-scroll">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">service</th>
                <th scope="col">consumer</th>
                <th scope="col">stream</th>
                <th scope="col" className="num">pending</th>
                <th scope="col" className="num">ack pending</th>
                <th scope="col" className="num">redelivered</th>
                <th scope="col" className="num">pull requests waiting</th>
              </tr>
            </thead>
            <tbody>
              {system.consumers.map((consumer) => (
                <tr key={`${consumer.stream}/${consumer.name}`}>
                  <td>{consumer.service}</td>
                  <td className="mono">{consumer.name}</td>
                  <td className="mono">{consumer.stream}</td>
                  <td className={`num${consumer.pending > 0 ? ' warn-text' : ''}`}>{formatCount(consumer.pending)}</td>
                  <td className="num">{formatCount(consumer.ackPending)}</td>
                  <td className={`num${consumer.redelivered > 0 ? ' warn-text' : ''}`}>{formatCount(consumer.redelivered)}</td>
                  <td className="num">{formatCount(consumer.waiting)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <div className="system-grid system-grid--two">
        <section className="card" aria-labelledby="streams-title">
          <h2 id="streams-title" className="card__title">Streams</h2>
          <div className="table-scroll">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">stream</th>
                  <th scope="col" className="num">replicas</th>
                  <th scope="col">storage</th>
                  <th scope="col" className="num">messages</th>
                  <th scope="col" className="num">size</th>
                </tr>
              </thead>
              <tbody>
                {system.streams.map((stream) => (
                  <tr key={stream.name}>
                    <td className="mono">{stream.name}</td>
                    <td className="num">{stream.replicas}</td>
                    <td>{stream.storage}</td>
                    <td className="num">{formatCount(stream.messages)}</td>
                    <td className="num">{formatBytes(stream.bytes)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
        <section className="card" aria-labelledby="buckets-title">
          <h2 id="buckets-title" className="card__title">KV buckets</h2>
          <div className="table-scroll">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">bucket</th>
                  <th scope="col" className="num">replicas</th>
                  <th scope="col" className="num">history</th>
                  <th scope="col">storage</th>
                  <th scope="col" className="num">values</th>
                  <th scope="col" className="num">size</th>
                </tr>
              </thead>
              <tbody>
                {system.buckets.map((bucket) => (
                  <tr key={bucket.name}>
                    <td className="mono">{bucket.name}</td>
                    <td className="num">{bucket.replicas}</td>
                    <td className="num">{bucket.history}</td>
                    <td>{bucket.storage}</td>
                    <td className="num">{formatCount(bucket.values)}</td>
                    <td className="num">{formatBytes(bucket.bytes)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      </div>
    </div>
  );
}
