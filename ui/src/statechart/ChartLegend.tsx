/** What the chart's marks mean, in one line under it. */
export function ChartLegend({ path }: { path: boolean }) {
  return (
    <p className="sc-legend" aria-hidden="true">
      {path && (
        <>
          <span className="sc-legend__path" /> this order’s path <span className="sc-legend__current" /> current state <span className="sc-legend__faded">faded</span> not
          taken ·{' '}
        </>
      )}
      <span className="sc-marker sc-marker--retry">↻</span> retries in place <span className="sc-marker sc-marker--park">→ stuck</span> parks
      for an operator once its attempts are used up
    </p>
  );
}
