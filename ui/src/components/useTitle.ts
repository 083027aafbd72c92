// The page title, as `<page> · tseeder`, for the browser tab and the history.
import { useEffect } from "react";

export function useTitle(title: string) {
  useEffect(() => {
    document.title = `${title} · tseeder`;
  }, [title]);
}
