//! Fan-out: runs a job on every target with at most `forks` at once, each host on its own
//! blocking thread (an `ssh2::Session` never crosses threads), and hands every event to one
//! consumer (the reporter) on the calling thread. It never prints.
//!
//! Ctrl-C once: no new hosts start (they end `skipped`), running ones finish. Twice, or one
//! SIGTERM (a supervisor wants hostctl gone, not a wait for running hosts): the abort flag is
//! set, and each running job stops at its next wake-up and ends its work on the host (`run`
//! stops the command's process group there) before it reports `aborted`.
//! The consumer can stop new hosts too (`halt`); a host's slot is freed only once the consumer
//! has handled its result, so the consumer's decision covers every host started after it.

use crate::event::{Event, HostEvent, HostEventKind, HostId, HostOutcome, Status, Stream};
use crate::ssh::Target;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, mpsc};

/// Work done on one host. Implementations report output and progress through `HostContext`.
pub trait Job: Send + Sync + 'static {
    fn run(&self, target: &Target, cx: &mut HostContext) -> HostOutcome;
}

/// The one consumer of a run's events (the reporter).
pub trait Consumer {
    /// Whether it wants each host's output as it arrives (`Output` events); asked once, before
    /// any host starts. Without it, jobs' output goes no further than their own capture.
    fn wants_output(&self) -> bool;
    /// Every event of the run, in order for each host: `Started`, then `Output` and
    /// `Progress`, then one `Finished` (only `Finished` for a host that never started).
    fn event(&mut self, event: Event);
}

/// Where every host's events go, with the consumer's one decision about live output.
struct Sink {
    start: Instant,
    tx: mpsc::Sender<HostEvent>,
    output: bool,
}

/// What a running job may use: an abort flag for its SSH waits, and a way to report.
pub struct HostContext {
    host: HostId,
    pub abort: Arc<AtomicBool>,
    sink: Arc<Sink>,
}

impl HostContext {
    fn send(&self, kind: HostEventKind) {
        let event = HostEvent {
            host: self.host.clone(),
            elapsed: self.sink.start.elapsed(),
            kind,
        };
        // A closed channel means the run is being torn down; nothing left to tell.
        let _ = self.sink.tx.blocking_send(event);
    }

    /// Output as it arrives; dropped here unless the consumer asked for it.
    pub fn output(&self, stream: Stream, data: &[u8]) {
        if self.sink.output {
            self.send(HostEventKind::Output {
                stream,
                data: data.to_vec(),
            });
        }
    }

    pub fn progress(&self, bytes: u64) {
        self.send(HostEventKind::Progress { bytes });
    }
}

pub struct Executor {
    pub forks: usize,
    /// Rolling batches: each starts after the previous one finished.
    pub batch: Option<usize>,
    /// No new host starts once this many failed, timed out or were unreachable.
    pub max_fail: Option<usize>,
    /// Set by the consumer (from its event callback) to start no more hosts: the rest end
    /// `skipped` with this reason.
    pub halt: Arc<OnceLock<String>>,
}

/// How the fan-out ended.
#[derive(Debug, Default, Clone, Copy)]
pub struct RunEnd {
    pub interrupted: bool,
    /// `--max-fail` was reached and hosts were skipped.
    pub stopped: bool,
    /// `--max-fail`'s count was reached, whether or not any host was left to skip.
    pub max_fail_reached: bool,
}

impl Executor {
    /// Whether `--max-fail` can stop anything on `hosts` hosts: only when some host starts
    /// after another finished (fewer forks, or smaller batches, than hosts). It never stops a
    /// host that already runs: a half-applied change can be worse than a finished one.
    pub fn max_fail_can_act(&self, hosts: usize) -> bool {
        self.forks.max(1).min(self.batch.unwrap_or(hosts)) < hosts
    }

    pub fn execute(
        &self,
        targets: Arc<Vec<Target>>,
        job: Arc<dyn Job>,
        consumer: &mut dyn Consumer,
    ) -> std::io::Result<RunEnd> {
        let hosts: Arc<Vec<HostId>> = Arc::new(
            (targets.iter().enumerate())
                .map(|(i, t)| HostId::new(i, &t.name, &t.address))
                .collect(),
        );
        let output = consumer.wants_output();
        let forks = self.forks.max(1);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .max_blocking_threads(forks.min(targets.len().max(1)))
            // Host threads only run libssh2 and small buffers; 512 KiB is ample.
            .thread_stack_size(512 * 1024)
            .enable_all()
            .build()?;
        runtime.block_on(async move {
            let start = Instant::now();
            let stop = Arc::new(AtomicBool::new(false));
            let abort = Arc::new(AtomicBool::new(false));
            let (tx, mut rx) = mpsc::channel::<HostEvent>(1024);
            // The channel closes once the spawner and every job have let go of their sink.
            let sink = Arc::new(Sink { start, tx, output });
            let failures = Arc::new(AtomicUsize::new(0));
            let stopped = Arc::new(AtomicBool::new(false));
            let (batch, max_fail) = (self.batch.unwrap_or(targets.len()).max(1), self.max_fail);
            let semaphore = Arc::new(Semaphore::new(forks));
            let halt = self.halt.clone();
            let spawner = {
                let (stop, abort, failures, stopped, semaphore) = (
                    stop.clone(),
                    abort.clone(),
                    failures.clone(),
                    stopped.clone(),
                    semaphore.clone(),
                );
                async move {
                    let skip_rest = |from: usize, reason: String| {
                        skip_rest(hosts[from..].to_vec(), &sink, reason)
                    };
                    let n = targets.len();
                    for first in (0..n).step_by(batch) {
                        let mut running = Vec::new();
                        for host in first..n.min(first + batch) {
                            let permit = semaphore
                                .clone()
                                .acquire_owned()
                                .await
                                .expect("semaphore open");
                            if stop.load(Ordering::SeqCst) {
                                skip_rest(host, "not started: interrupted".into()).await;
                                return;
                            }
                            if let Some(reason) = halt.get() {
                                skip_rest(host, reason.clone()).await;
                                return;
                            }
                            if let Some(limit) =
                                max_fail.filter(|m| failures.load(Ordering::SeqCst) >= *m)
                            {
                                stopped.store(true, Ordering::SeqCst);
                                let reason = format!("not started: --max-fail {limit} reached");
                                skip_rest(host, reason).await;
                                return;
                            }
                            let (targets, job, abort, sink, failures) = (
                                targets.clone(),
                                job.clone(),
                                abort.clone(),
                                sink.clone(),
                                failures.clone(),
                            );
                            let id = hosts[host].clone();
                            running.push(tokio::task::spawn_blocking(move || {
                                let mut cx = HostContext {
                                    host: id,
                                    abort,
                                    sink,
                                };
                                cx.send(HostEventKind::Started);
                                let outcome = job.run(&targets[host], &mut cx);
                                if outcome.status.kind().is_failure() {
                                    failures.fetch_add(1, Ordering::SeqCst);
                                }
                                cx.send(HostEventKind::Finished(Box::new(outcome)));
                                // The consumer gives the slot back once it has handled this.
                                permit.forget();
                            }));
                        }
                        // The next batch starts only when this one has finished.
                        for handle in running {
                            let _ = handle.await;
                        }
                    }
                }
            };
            tokio::spawn(spawner);
            let mut interrupts = 0;
            let mut sigint =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
            let mut sigterm =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
            loop {
                tokio::select! {
                    event = rx.recv() => match event {
                        Some(event) => {
                            let finished = matches!(event.kind, HostEventKind::Finished(_));
                            consumer.event(Event::Host(event));
                            if finished {
                                semaphore.add_permits(1);
                            }
                        }
                        None => break,
                    },
                    _ = sigint.recv() => {
                        interrupts += 1;
                        stop.store(true, Ordering::SeqCst);
                        if interrupts >= 2 {
                            abort.store(true, Ordering::SeqCst);
                        }
                        consumer.event(Event::Interrupted { abort: interrupts >= 2 });
                    }
                    _ = sigterm.recv() => {
                        interrupts += 2;
                        stop.store(true, Ordering::SeqCst);
                        abort.store(true, Ordering::SeqCst);
                        consumer.event(Event::Interrupted { abort: true });
                    }
                }
            }
            Ok(RunEnd {
                interrupted: interrupts > 0,
                stopped: stopped.load(Ordering::SeqCst),
                max_fail_reached: max_fail.is_some_and(|m| failures.load(Ordering::SeqCst) >= m),
            })
        })
    }
}

/// `Finished` as `skipped` for each of `hosts`, which never started.
async fn skip_rest(hosts: Vec<HostId>, sink: &Sink, reason: String) {
    for host in hosts {
        let outcome = HostOutcome::new(
            Status::Skipped {
                reason: reason.clone(),
            },
            Duration::ZERO,
        );
        let event = HostEvent {
            host,
            elapsed: sink.start.elapsed(),
            kind: HostEventKind::Finished(Box::new(outcome)),
        };
        if sink.tx.send(event).await.is_err() {
            return;
        }
    }
}
