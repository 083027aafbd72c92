//! The threads a database's work runs on. A few threads that each take the next piece of work as
//! soon as they finish one, instead of a blocking thread woken for every call: under load no
//! thread sleeps while work waits, there is no thread switch per call, and each connection is
//! used by a thread whose caches still hold it. On two cores the job list went from 0.24–0.26×
//! of a bare handler on the runtime's blocking pool to 0.29–0.35× (docs/benchmarks.md).

use crate::{DbError, DbResult};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};

type Work = Box<dyn FnOnce() + Send>;

#[derive(Debug)]
pub(crate) struct Workers {
    queue: Sender<Work>,
}

impl Workers {
    /// Starts `count` threads; they end once the last handle to the database is gone.
    pub(crate) fn start(count: usize) -> DbResult<Workers> {
        let (queue, waiting) = channel::<Work>();
        let waiting = Arc::new(Mutex::new(waiting));
        for n in 0..count.max(1) {
            let waiting = Arc::clone(&waiting);
            std::thread::Builder::new()
                .name(format!("sqlite-work-{n}"))
                .spawn(move || serve(&waiting))
                .map_err(|err| {
                    DbError::Worker(format!("could not start a database thread: {err}"))
                })?;
        }
        Ok(Workers { queue })
    }

    /// Runs `work` on one of the threads, in the order calls arrive, and waits for its answer
    /// without blocking the async runtime. Work that panics answers an error and leaves its
    /// thread serving.
    pub(crate) async fn run<T, F>(&self, work: F) -> DbResult<T>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Work = Box::new(move || {
            if let Ok(value) = catch_unwind(AssertUnwindSafe(work)) {
                let _ = answer.send(value);
            }
        });
        self.queue
            .send(job)
            .map_err(|_| DbError::Worker("the database threads have stopped".into()))?;
        answered
            .await
            .map_err(|_| DbError::Worker("the database work panicked".into()))
    }
}

/// One thread's life: the next piece of work, until the queue is closed. The thread that
/// waits on the queue holds the lock; the others wait for the lock.
fn serve(waiting: &Mutex<Receiver<Work>>) {
    loop {
        let next = match waiting.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        match next {
            Ok(work) => work(),
            Err(_) => return,
        }
    }
}
