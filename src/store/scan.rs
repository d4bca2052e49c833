//! Scans of the whole vault (search, `audit verify`, exports) read a chunk of rows at
//! a time. Reading is SQLite's work, on the calling thread; the work on a chunk
//! (decrypting, hashing) runs on every core. [`overlapped`] does both at once: the
//! next chunk is read while the one before is worked on, and the results are folded
//! in order on the calling thread. At most two chunks are held at a time.

use std::sync::mpsc;

/// Runs `read`, which hands its chunks, in order, to the function it is given;
/// `work` runs on each chunk in the thread pool while `read` reads the next; `fold`
/// takes each chunk's result, in the chunks' order, on the calling thread. An error
/// from `fold` stops the reading; one from `read` is returned once the chunk in
/// flight is folded.
pub(crate) fn overlapped<C, R, E>(
    read: impl FnOnce(&mut dyn FnMut(C) -> Result<(), E>) -> Result<(), E>,
    work: impl Fn(C) -> R + Sync,
    mut fold: impl FnMut(R) -> Result<(), E>,
) -> Result<(), E>
where
    C: Send,
    R: Send,
{
    let work = &work;
    rayon::in_place_scope(|scope| {
        // The chunk being worked on, if any: its result arrives here.
        let mut pending: Option<mpsc::Receiver<R>> = None;
        let take = |pending: &mut Option<mpsc::Receiver<R>>,
                    fold: &mut dyn FnMut(R) -> Result<(), E>| {
            match pending.take().map(wait) {
                Some(Ok(result)) => fold(result),
                // The work panicked and sent nothing: the scope resumes the panic when
                // it ends.
                Some(Err(_)) | None => Ok(()),
            }
        };
        let read_result = read(&mut |chunk: C| {
            take(&mut pending, &mut fold)?;
            let (tx, rx) = mpsc::channel();
            scope.spawn(move |_| {
                // The receiver is gone only if reading failed; nothing to deliver.
                let _ = tx.send(work(chunk));
            });
            pending = Some(rx);
            Ok(())
        });
        let last = take(&mut pending, &mut fold);
        read_result.and(last)
    })
}

/// Waits for a chunk's result. On a thread of the pool (a program that calls the
/// library from inside rayon) it runs the pool's other jobs meanwhile, the chunk's
/// own included: blocking there could leave that job with no thread to run it.
fn wait<R>(rx: mpsc::Receiver<R>) -> Result<R, mpsc::RecvError> {
    loop {
        match rx.try_recv() {
            Ok(result) => return Ok(result),
            Err(mpsc::TryRecvError::Disconnected) => return Err(mpsc::RecvError),
            Err(mpsc::TryRecvError::Empty) => match rayon::yield_now() {
                // Not a thread of a pool: nothing to help with.
                None => return rx.recv(),
                Some(rayon::Yield::Executed) => {}
                Some(rayon::Yield::Idle) => std::thread::yield_now(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_fold_in_order_and_errors_stop_reading() {
        let mut seen = Vec::new();
        let result: Result<(), String> = overlapped(
            |f| (0..10).try_for_each(|i: u32| f(vec![i, i * 10])),
            |chunk: Vec<u32>| chunk.iter().sum::<u32>(),
            |sum| {
                seen.push(sum);
                Ok(())
            },
        );
        assert!(result.is_ok());
        assert_eq!(seen, (0..10).map(|i| i * 11).collect::<Vec<_>>());

        let mut folded = 0;
        let result: Result<(), String> = overlapped(
            |f| (0..10).try_for_each(|i: u32| f(vec![i])),
            |chunk: Vec<u32>| chunk[0],
            |i| {
                folded += 1;
                if i == 3 { Err("stop".into()) } else { Ok(()) }
            },
        );
        assert_eq!(result, Err("stop".into()));
        assert_eq!(folded, 4);
    }

    #[test]
    fn it_finishes_when_called_from_the_only_thread_of_a_pool() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let (done_tx, done_rx) = mpsc::channel();
        // On a thread of its own, so that a hang fails the test instead of blocking it.
        std::thread::spawn(move || {
            let sums = pool.install(|| {
                let mut sums = Vec::new();
                let result: Result<(), String> = overlapped(
                    |f| (0..5).try_for_each(|i: u32| f(vec![i; 3])),
                    |chunk: Vec<u32>| chunk.iter().sum::<u32>(),
                    |sum| {
                        sums.push(sum);
                        Ok(())
                    },
                );
                result.map(|()| sums)
            });
            let _ = done_tx.send(sums);
        });
        let sums = done_rx
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("overlapped hung inside a one-thread pool");
        assert_eq!(sums, Ok(vec![0, 3, 6, 9, 12]));
    }
}
