// Write, publish and delete blog posts.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useApi } from "../../api/context";
import type { BlogPost } from "../../api/types";
import { useConfirm } from "../../components/ConfirmDialog";
import { Pager } from "../../components/Pager";
import { useTitle } from "../../components/useTitle";
import { Empty, errorMessage, Notice, QueryView } from "../../components/Feedback";
import { formatDate } from "../../lib/format";
import { queries, keys } from "../../api/queries";

export function slugify(title: string): string {
  return title
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 80);
}

function Editor({ post, onDone }: { post: BlogPost | null; onDone: () => void }) {
  const api = useApi();
  const [title, setTitle] = useState(post?.title ?? "");
  const [slug, setSlug] = useState(post?.slug ?? "");
  const [summary, setSummary] = useState(post?.summary ?? "");
  const [body, setBody] = useState(post?.body ?? "");
  const [published, setPublished] = useState(!!post?.publishedAt);
  const save = useMutation({
    mutationFn: () =>
      api.saveBlogPost(post?.id ?? null, { title, slug: slug || slugify(title), summary, body, published }),
    onSuccess: onDone,
  });
  function submit(event: FormEvent) {
    event.preventDefault();
    save.mutate();
  }
  return (
    <form className="card stack" onSubmit={submit} aria-labelledby="editor-title">
      <h2 id="editor-title">{post ? "Edit post" : "New post"}</h2>
      <label>
        Title
        <input value={title} onChange={(e) => setTitle(e.target.value)} required />
      </label>
      <label>
        Slug
        <input
          value={slug}
          onChange={(e) => setSlug(e.target.value)}
          placeholder={slugify(title) || "lowercase-with-dashes"}
        />
      </label>
      <label>
        Summary
        <input value={summary} onChange={(e) => setSummary(e.target.value)} />
      </label>
      <label>
        Body (plain text; a blank line starts a paragraph)
        <textarea value={body} onChange={(e) => setBody(e.target.value)} rows={10} required />
      </label>
      <label className="check">
        <input type="checkbox" checked={published} onChange={(e) => setPublished(e.target.checked)} />{" "}
        <span>Published</span>
      </label>
      {save.isError && <Notice kind="error">{errorMessage(save.error)}</Notice>}
      <div className="actions">
        <button type="button" onClick={onDone}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={save.isPending}>
          Save
        </button>
      </div>
    </form>
  );
}

export function AdminBlog() {
  useTitle("Blog posts");
  const api = useApi();
  const client = useQueryClient();
  const [page, setPage] = useState(1);
  const [editing, setEditing] = useState<BlogPost | "new" | null>(null);
  const query = useQuery(queries.adminBlogPosts(api, page));
  const refresh = () => {
    void client.invalidateQueries({ queryKey: keys.adminBlog });
    void client.invalidateQueries({ queryKey: keys.blog });
  };
  const { ask, dialog } = useConfirm(refresh);
  return (
    <section aria-labelledby="admin-blog-title">
      <div className="page-head">
        <h1 id="admin-blog-title">Blog posts</h1>
        <button type="button" className="primary" onClick={() => setEditing("new")}>
          New post
        </button>
      </div>
      {editing && (
        <Editor
          key={editing === "new" ? "new" : editing.id}
          post={editing === "new" ? null : editing}
          onDone={() => {
            setEditing(null);
            refresh();
          }}
        />
      )}
      <QueryView
        query={query}
        what="posts"
        isEmpty={(d) => d.items.length === 0}
        empty={<Empty title="No posts yet" />}
      >
        {(data) => (
          <>
            <ul className="plain rows">
              {data.items.map((post) => (
                <li key={post.id} className="row card">
                  <div>
                    <strong>{post.title}</strong>{" "}
                    {post.publishedAt ? (
                      <span className="badge state-operational">Published</span>
                    ) : (
                      <span className="badge">Draft</span>
                    )}
                    <div className="muted small-print">
                      /{post.slug} · updated {formatDate(post.updatedAt)}
                    </div>
                  </div>
                  <div className="row-actions">
                    <button type="button" className="small" onClick={() => setEditing(post)}>
                      Edit
                    </button>
                    <button
                      type="button"
                      className="small danger"
                      onClick={() =>
                        ask({
                          title: `Delete “${post.title}”`,
                          description: "The post disappears from the blog for good.",
                          word: "DELETE",
                          actionLabel: "Delete",
                          run: (why) => api.deleteBlogPost(post.id, why),
                        })
                      }
                    >
                      Delete
                    </button>
                  </div>
                </li>
              ))}
            </ul>
            <Pager page={data.page} perPage={data.perPage} total={data.total} onPage={setPage} />
          </>
        )}
      </QueryView>
      {dialog}
    </section>
  );
}
