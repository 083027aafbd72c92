// The blog: published posts from the API, newest first, and one article. Bodies are plain text
// split into paragraphs, never injected as HTML.
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useParams } from "react-router";
import { useApi } from "../../api/context";
import { Pager } from "../../components/Pager";
import { useTitle } from "../../components/useTitle";
import { Empty, QueryView } from "../../components/Feedback";
import { formatDate } from "../../lib/format";
import { queries } from "../../api/queries";

export function paragraphs(body: string): string[] {
  return body
    .split(/\r?\n\s*\r?\n/)
    .map((p) => p.trim())
    .filter(Boolean);
}

export function Blog() {
  useTitle("Blog");
  const api = useApi();
  const [page, setPage] = useState(1);
  const query = useQuery(queries.blogPosts(api, page));
  return (
    <section className="page" aria-labelledby="blog-title">
      <h1 id="blog-title">Blog</h1>
      <QueryView
        query={query}
        what="posts"
        isEmpty={(data) => data.items.length === 0}
        empty={<Empty title="No posts yet">News about tseeder will appear here.</Empty>}
      >
        {(data) => (
          <>
            <ul className="posts">
              {data.items.map((post) => (
                <li key={post.id} className="card">
                  <h2>
                    <Link to={`/blog/${encodeURIComponent(post.slug)}`}>{post.title}</Link>
                  </h2>
                  <p className="muted">{formatDate(post.publishedAt)}</p>
                  {post.summary && <p>{post.summary}</p>}
                </li>
              ))}
            </ul>
            <Pager page={data.page} perPage={data.perPage} total={data.total} onPage={setPage} />
          </>
        )}
      </QueryView>
    </section>
  );
}

export function BlogArticle() {
  const { slug = "" } = useParams();
  const api = useApi();
  const query = useQuery(queries.blogPost(api, slug));
  useTitle(query.data?.title ?? "Blog");
  return (
    <article className="page narrow">
      <p>
        <Link to="/blog">← All posts</Link>
      </p>
      <QueryView query={query} what="the post">
        {(post) => (
          <>
            <h1>{post.title}</h1>
            <p className="muted">
              {formatDate(post.publishedAt)}
              {post.author ? ` · ${post.author}` : ""}
            </p>
            {paragraphs(post.body).map((text, i) => (
              <p key={i}>{text}</p>
            ))}
          </>
        )}
      </QueryView>
    </article>
  );
}
