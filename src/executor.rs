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

#[cfg(test)]
mod tests {
    //! The fan-out's rules, checked with a job that touches no network. Jobs wait on each
    //! other (a condition variable), not on the clock: a slot is held until as many hosts run
    //! as the bound allows, then a little longer (`linger`) for a host that should not start
    //! to show itself. On a slow machine the waits only last longer.

    use super::*;
    use std::path::PathBuf;
    use std::sync::{Condvar, Mutex, MutexGuard};

    /// A wait that only ends this way when the executor is wrong.
    const LONG: Duration = Duration::from_secs(60);

    /// The executor listens for SIGINT and SIGTERM, process-wide: one test at a time, so the
    /// abort test's SIGTERM reaches only its own run.
    static SERIAL: Mutex<()> = Mutex::new(());

    fn serial() -> MutexGuard<'static, ()> {
        SERIAL.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn targets(names: &[&str]) -> Arc<Vec<Target>> {
        let target = |name: &&str| Target {
            name: name.to_string(),
            address: format!("addr-{name}"),
            port: 22,
            user: "u".into(),
            identity_files: Vec::new(),
            certificate_files: Vec::new(),
            identities_only: false,
            known_hosts: PathBuf::new(),
            connect_timeout: Duration::from_secs(1),
            keepalive: Duration::from_secs(1),
            accept_new: false,
            jump: Vec::new(),
        };
        Arc::new(names.iter().map(target).collect())
    }

    #[derive(Default)]
    struct Load {
        running: usize,
        most: usize,
        finished: usize,
        /// Hosts in the order their jobs began.
        began: Vec<String>,
    }

    /// Ends as its host's name says: `bad*` fails, `hang*` runs until the abort flag reaches
    /// it, anything else is ok once it has held its slot.
    struct Fake {
        hosts: usize,
        /// How many may run at once.
        cap: usize,
        linger: Duration,
        load: Mutex<Load>,
        changed: Condvar,
    }

    impl Fake {
        fn new(hosts: usize, cap: usize, linger: Duration) -> Arc<Fake> {
            Arc::new(Fake {
                hosts,
                cap,
                linger,
                load: Mutex::default(),
                changed: Condvar::new(),
            })
        }

        fn load(&self) -> MutexGuard<'_, Load> {
            self.load.lock().unwrap()
        }
    }

    impl Job for Fake {
        fn run(&self, target: &Target, cx: &mut HostContext) -> HostOutcome {
            cx.output(Stream::Stdout, b"out\n");
            cx.progress(1);
            let started = Instant::now();
            if target.name.starts_with("hang") {
                while !cx.abort.load(Ordering::SeqCst) && started.elapsed() < LONG {
                    std::thread::sleep(Duration::from_millis(5));
                }
                let status = match cx.abort.load(Ordering::SeqCst) {
                    true => Status::Aborted {
                        reason: "aborted".into(),
                    },
                    false => Status::Ok,
                };
                return HostOutcome::new(status, started.elapsed());
            }
            let mut load = self.load();
            load.running += 1;
            load.most = load.most.max(load.running);
            load.began.push(target.name.clone());
            self.changed.notify_all();
            // Until every slot the bound allows is taken (or no host is left to take it).
            let full = |l: &mut Load| l.running >= self.cap.min(self.hosts - l.finished);
            let (load, _) = (self.changed)
                .wait_timeout_while(load, LONG, |l| !full(l))
                .unwrap();
            // Then a little longer: a host beyond the bound would start now.
            let (mut load, _) = (self.changed)
                .wait_timeout_while(load, self.linger, |l| l.running <= self.cap)
                .unwrap();
            load.running -= 1;
            load.finished += 1;
            self.changed.notify_all();
            let status = match target.name.starts_with("bad") {
                true => Status::Failed {
                    exit_code: Some(1),
                    signal: None,
                    reason: None,
                },
                false => Status::Ok,
            };
            HostOutcome::new(status, started.elapsed())
        }
    }

    /// Keeps every event; `on_start` runs as each host's `Started` arrives.
    struct Seen {
        output: bool,
        events: Vec<Event>,
        on_start: fn(&str),
    }

    impl Seen {
        fn new(output: bool) -> Seen {
            Seen {
                output,
                events: Vec::new(),
                on_start: |_| {},
            }
        }

        fn host_events(&self) -> impl Iterator<Item = &HostEvent> {
            self.events.iter().filter_map(|e| match e {
                Event::Host(h) => Some(h),
                Event::Interrupted { .. } => None,
            })
        }

        /// Each host's final status name and reason.
        fn results(&self) -> Vec<(String, &'static str, Option<String>)> {
            self.host_events()
                .filter_map(|e| match &e.kind {
                    HostEventKind::Finished(o) => {
                        Some((e.host.name.to_string(), o.status.name(), o.status.reason()))
                    }
                    _ => None,
                })
                .collect()
        }

        /// The most hosts the consumer ever saw started and not yet finished.
        fn most_in_flight(&self) -> usize {
            let (mut now, mut most) = (0usize, 0);
            for e in self.host_events() {
                match e.kind {
                    HostEventKind::Started => now += 1,
                    HostEventKind::Finished(_) => now = now.saturating_sub(1),
                    _ => {}
                }
                most = most.max(now);
            }
            most
        }

        /// Every host: `Started`, then output and progress, then exactly one `Finished`; or
        /// only `Finished` (`skipped`) for a host that never started. `Output` only when asked.
        fn check_order(&self, targets: &[Target]) {
            for (order, t) in targets.iter().enumerate() {
                let kinds: Vec<&HostEventKind> = self
                    .host_events()
                    .filter(|e| e.host.order == order)
                    .inspect(|e| {
                        assert_eq!((&*e.host.name, &*e.host.address), (&*t.name, &*t.address))
                    })
                    .map(|e| &e.kind)
                    .collect();
                let finished = |k: &HostEventKind| matches!(k, HostEventKind::Finished(_));
                let count = kinds.iter().filter(|k| finished(k)).count();
                assert_eq!(count, 1, "{}: {kinds:?}", t.name);
                match kinds.as_slice() {
                    [HostEventKind::Finished(o)] => {
                        assert_eq!(o.status.name(), "skipped", "{}: {kinds:?}", t.name)
                    }
                    [HostEventKind::Started, middle @ .., _] => {
                        let outputs = middle
                            .iter()
                            .filter(|k| matches!(k, HostEventKind::Output { .. }))
                            .count();
                        assert!(
                            middle.iter().all(|k| matches!(
                                k,
                                HostEventKind::Output { .. } | HostEventKind::Progress { .. }
                            )),
                            "{}: {kinds:?}",
                            t.name
                        );
                        assert_eq!(outputs, usize::from(self.output), "{}: {kinds:?}", t.name);
                    }
                    _ => panic!("{}: events out of order: {kinds:?}", t.name),
                }
            }
        }
    }

    impl Consumer for Seen {
        fn wants_output(&self) -> bool {
            self.output
        }

        fn event(&mut self, event: Event) {
            if let Event::Host(HostEvent {
                host,
                kind: HostEventKind::Started,
                ..
            }) = &event
            {
                (self.on_start)(&host.name);
            }
            self.events.push(event);
        }
    }

    fn executor(forks: usize, batch: Option<usize>, max_fail: Option<usize>) -> Executor {
        Executor {
            forks,
            batch,
            max_fail,
            halt: Default::default(),
        }
    }

    const LINGER: Duration = Duration::from_millis(300);

    #[test]
    fn never_more_than_forks_hosts_at_once() {
        let _serial = serial();
        let names = ["h0", "h1", "h2", "h3", "h4", "h5", "h6"];
        let targets = targets(&names);
        let job = Fake::new(names.len(), 3, LINGER);
        let mut seen = Seen::new(true);
        let end = executor(3, None, None)
            .execute(targets.clone(), job.clone(), &mut seen)
            .unwrap();
        assert_eq!(job.load().most, 3, "jobs running at once");
        assert_eq!(
            seen.most_in_flight(),
            3,
            "hosts in flight as the consumer saw them"
        );
        let mut began = job.load().began.clone();
        began.sort();
        assert_eq!(began, names, "every host ran once");
        assert!(seen.results().iter().all(|(_, s, _)| *s == "ok"));
        assert!(!end.interrupted && !end.stopped);
        seen.check_order(&targets);
    }

    #[test]
    fn a_batch_starts_only_when_the_one_before_has_ended() {
        let _serial = serial();
        let names = ["h0", "h1", "h2", "h3", "h4", "h5"];
        let targets = targets(&names);
        let job = Fake::new(names.len(), 2, LINGER);
        let mut seen = Seen::new(true);
        executor(10, Some(2), None)
            .execute(targets.clone(), job.clone(), &mut seen)
            .unwrap();
        assert_eq!(job.load().most, 2, "jobs running at once");
        // Host by host as the consumer saw them: no host of a batch starts before every host
        // of the batch before it has finished.
        let mut finished = Vec::new();
        for e in seen.host_events() {
            match e.kind {
                HostEventKind::Started => {
                    let batch = e.host.order / 2;
                    let before: Vec<usize> = (0..batch * 2).collect();
                    let mut done: Vec<usize> = finished
                        .iter()
                        .copied()
                        .filter(|h| *h < batch * 2)
                        .collect();
                    done.sort();
                    assert_eq!(done, before, "{} started too early", e.host.name);
                }
                HostEventKind::Finished(_) => finished.push(e.host.order),
                _ => {}
            }
        }
        seen.check_order(&targets);
    }

    #[test]
    fn max_fail_starts_no_host_after_the_limit() {
        let _serial = serial();
        let names = ["bad0", "ok1", "bad2", "ok3", "ok4"];
        let targets = targets(&names);
        let job = Fake::new(names.len(), 1, Duration::ZERO);
        // No live output asked for: the jobs' output goes nowhere.
        let mut seen = Seen::new(false);
        let end = executor(1, None, Some(2))
            .execute(targets.clone(), job.clone(), &mut seen)
            .unwrap();
        assert_eq!(job.load().began, ["bad0", "ok1", "bad2"]);
        let skipped = Some("not started: --max-fail 2 reached".to_string());
        assert_eq!(
            seen.results(),
            [
                ("bad0".into(), "failed", None),
                ("ok1".into(), "ok", None),
                ("bad2".into(), "failed", None),
                ("ok3".into(), "skipped", skipped.clone()),
                ("ok4".into(), "skipped", skipped),
            ]
        );
        assert!(end.stopped && end.max_fail_reached && !end.interrupted);
        seen.check_order(&targets);
    }

    #[test]
    fn sigterm_aborts_running_hosts_and_starts_no_more() {
        let _serial = serial();
        let targets = targets(&["hang0", "ok1", "ok2"]);
        let job = Fake::new(3, 1, Duration::ZERO);
        let mut seen = Seen::new(true);
        // Once the first host runs, a supervisor's SIGTERM; the executor listens by then.
        seen.on_start = |name| {
            if name == "hang0" {
                // SAFETY: kill(2) on our own pid, with a signal the executor handles.
                unsafe { libc::kill(libc::getpid(), libc::SIGTERM) };
            }
        };
        let end = executor(1, None, None)
            .execute(targets.clone(), job, &mut seen)
            .unwrap();
        let interrupted = Some("not started: interrupted".to_string());
        assert_eq!(
            seen.results(),
            [
                ("hang0".into(), "aborted", Some("aborted".into())),
                ("ok1".into(), "skipped", interrupted.clone()),
                ("ok2".into(), "skipped", interrupted),
            ]
        );
        assert!(
            seen.events
                .iter()
                .any(|e| matches!(e, Event::Interrupted { abort: true }))
        );
        assert!(end.interrupted);
        seen.check_order(&targets);
    }
}
