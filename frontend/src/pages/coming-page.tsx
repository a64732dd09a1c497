import { Link } from 'react-router';

/** A view of DESIGN §6 whose deep link works already and whose content is still to come. */
export function ComingPage({ title }: { title: string }) {
  return (
    <main className="page">
      <h1>{title}</h1>
      <p>This view is not built yet.</p>
      <p><Link to="/">Back to the orchestrations</Link></p>
    </main>
  );
}
