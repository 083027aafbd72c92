// A path the console does not know.
import { Link } from "react-router";
import { useTitle } from "../../components/useTitle";

export function NotFound() {
  useTitle("Not found");
  return (
    <section className="page narrow">
      <h1>There is nothing here</h1>
      <p className="muted">The link may be old or mistyped.</p>
      <Link to="/">Go to the start</Link>
    </section>
  );
}
