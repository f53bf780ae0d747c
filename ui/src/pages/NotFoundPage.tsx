import { Link } from 'react-router';

export function NotFoundPage() {
  return (
    <div className="page">
      <div className="state-msg state-msg--empty">
        <h1 className="h-plain">Nothing here</h1>
        <p>
          This address is not a page of the inspector. <Link to="/">Go to the orders</Link>.
        </p>
      </div>
    </div>
  );
}
