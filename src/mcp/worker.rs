//! The one interpreter of an MCP server, kept on its own thread: tool
//! calls hand it work and wait for the answer, one at a time, so variables
//! persist from call to call as in `rlmq kernel`.

use std::sync::mpsc;

use crate::session::Shell;

type Work = Box<dyn FnOnce(&mut Shell) + Send>;

/// A handle on the interpreter's thread.
pub struct Worker {
    tx: mpsc::Sender<Work>,
}

impl Worker {
    /// Starts the thread with the shell `open` makes there; its error if it
    /// makes none.
    pub fn start(
        open: impl FnOnce() -> Result<Shell, String> + Send + 'static,
    ) -> Result<Worker, String> {
        let (tx, rx) = mpsc::channel::<Work>();
        let (ready_tx, ready_rx) = mpsc::sync_channel(1);
        std::thread::Builder::new()
            .name("rlmq-mcp-shell".into())
            .spawn(move || {
                let mut shell = match open() {
                    Ok(s) => {
                        let _ = ready_tx.send(Ok(()));
                        s
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                for work in rx {
                    work(&mut shell);
                }
            })
            .map_err(|e| format!("cannot start the interpreter thread: {e}"))?;
        ready_rx
            .recv()
            .map_err(|_| "the interpreter thread stopped while starting".to_string())??;
        Ok(Worker { tx })
    }

    /// Runs `f` on the shell and waits for its result.
    pub async fn with<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Shell) -> R + Send + 'static,
    ) -> Result<R, String> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.tx
            .send(Box::new(move |shell| {
                let _ = tx.send(f(shell));
            }))
            .map_err(|_| "the interpreter thread has stopped".to_string())?;
        rx.await
            .map_err(|_| "the interpreter stopped while running this call".to_string())
    }
}
