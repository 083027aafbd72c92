//! The engine's own thread with a single-threaded tokio runtime. librqbit writes every received
//! block and hashes every piece inside `block_in_place`, which on a multi-threaded runtime hands
//! the worker to another thread each time: tens of thousands of thread switches per GiB. On a
//! runtime of its own with one thread the same work runs inline, like the event loop of any other
//! BitTorrent client, and a 1 GiB download took half the CPU time (docs/benchmarks.md). The rest
//! of the program (HTTP, uploads, SQLite) keeps its own runtime and is never stalled by a disk
//! write of the engine.

use std::future::Future;
use tokio::sync::oneshot;

/// The running thread; dropping the last reference stops its runtime and every task in it.
#[derive(Debug)]
pub(crate) struct EngineThread {
    runtime: tokio::runtime::Handle,
    stop: Option<oneshot::Sender<()>>,
}

/// The engine thread is gone (stopped or panicked) before the work finished.
#[derive(Debug)]
pub(crate) struct ThreadGone;

impl EngineThread {
    pub(crate) fn start() -> std::io::Result<EngineThread> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .thread_name("tseeder-engine-io")
            .build()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("tseeder-engine".into())
            .spawn(move || {
                // Runs the engine's tasks until the owner goes away (a send or a dropped sender).
                runtime.block_on(async {
                    let _ = stopped.await;
                });
                runtime.shutdown_background();
            })?;
        Ok(EngineThread {
            runtime: handle,
            stop: Some(stop),
        })
    }

    /// Runs `work` on the engine thread and waits for its result from any runtime. Dropping the
    /// returned future (a timeout, say) cancels the work, as it would if it ran in place.
    pub(crate) async fn run<F>(&self, work: F) -> Result<F::Output, ThreadGone>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let task = self.runtime.spawn(work);
        let _cancel_if_dropped = AbortOnDrop(task.abort_handle());
        task.await.map_err(|_| ThreadGone)
    }
}

struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Drop for EngineThread {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct NotifyOnDrop(Option<oneshot::Sender<()>>);

    impl Drop for NotifyOnDrop {
        fn drop(&mut self) {
            if let Some(tell) = self.0.take() {
                let _ = tell.send(());
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn work_runs_on_the_engine_thread_and_stops_with_it() {
        let thread = EngineThread::start().expect("thread starts");
        let name = thread
            .run(async { std::thread::current().name().map(str::to_owned) })
            .await
            .expect("work runs");
        assert_eq!(name.as_deref(), Some("tseeder-engine"));
        let flavor = thread
            .run(async { tokio::runtime::Handle::current().runtime_flavor() })
            .await
            .expect("work runs");
        assert_eq!(flavor, tokio::runtime::RuntimeFlavor::CurrentThread);

        let (started, running) = oneshot::channel::<()>();
        let (dropped, cancelled) = oneshot::channel::<()>();
        let waiting = thread.run(async move {
            let _tell_when_dropped = NotifyOnDrop(Some(dropped));
            std::future::pending::<()>().await
        });
        let timed_out = tokio::time::timeout(std::time::Duration::from_millis(50), waiting).await;
        assert!(timed_out.is_err());
        tokio::time::timeout(std::time::Duration::from_secs(5), cancelled)
            .await
            .expect("work given up by its caller is cancelled")
            .expect("dropped, not leaked");

        let (_never, forever) = oneshot::channel::<()>();
        let runtime = thread.runtime.clone();
        let endless = runtime.spawn(async move {
            let _ = started.send(());
            let _ = forever.await;
        });
        running.await.expect("task started");
        drop(thread);
        let outcome = tokio::time::timeout(std::time::Duration::from_secs(5), endless)
            .await
            .expect("the task ends when the thread stops");
        assert!(outcome
            .expect_err("the endless task never finishes on its own")
            .is_cancelled());
    }
}
