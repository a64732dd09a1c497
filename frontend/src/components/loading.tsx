/** What a lazily loaded page or panel shows while its script arrives. */
export function Loading() {
  return (
    <p className="page-message" role="status" aria-busy="true">
      Loading…
    </p>
  );
}
