/// Summary metrics (DESIGN §4: names are a contract). Each replication yields
/// one value per metric and scope, or none where it is undefined (a ratio with
/// an empty denominator); the summary then counts only replications with a
/// value (`n`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    Offered,
    Answered,
    Abandoned,
    Blocked,
    Voicemail,
    Forwarded,
    NoAnswer,
    Unfinished,
    Dropped,
    Failed,
    PWait,
    AsaS,
    MeanWaitS,
    P95WaitS,
    MaxWaitS,
    ServiceLevel,
    AbandonRate,
    BlockingRate,
    AgentOccupancy,
    MeanTalkS,
    MeanConcurrency,
    MeanQueue,
    MeanMos,
    P5Mos,
    MeanLossPct,
    MeanPddMs,
    MeanMediaGapS,
    Events,
    Outbound,
    RejectedBalance,
    Blacklisted,
    AfterHours,
    Alerts,
    Reminders,
    MeanLeadH,
    ZeroBalanceH,
    TopUps,
    CtrlRequests,
    CtrlTimeouts,
    CtrlMeanWaitMs,
    CtrlMaxWaitMs,
    CacheHitRatio,
    Upgraded,
    Transferred,
    TransferFailedShortTalk,
    TransferFailedNoFreeAgent,
    TransferFailedNoAnswer,
}

pub const METRIC_COUNT: usize = 47;

/// One replication's values for one scope, indexed by `Metric as usize`.
pub type MetricValues = [Option<f64>; METRIC_COUNT];

impl Metric {
    pub const ALL: [Metric; METRIC_COUNT] = [
        Metric::Offered,
        Metric::Answered,
        Metric::Abandoned,
        Metric::Blocked,
        Metric::Voicemail,
        Metric::Forwarded,
        Metric::NoAnswer,
        Metric::Unfinished,
        Metric::Dropped,
        Metric::Failed,
        Metric::PWait,
        Metric::AsaS,
        Metric::MeanWaitS,
        Metric::P95WaitS,
        Metric::MaxWaitS,
        Metric::ServiceLevel,
        Metric::AbandonRate,
        Metric::BlockingRate,
        Metric::AgentOccupancy,
        Metric::MeanTalkS,
        Metric::MeanConcurrency,
        Metric::MeanQueue,
        Metric::MeanMos,
        Metric::P5Mos,
        Metric::MeanLossPct,
        Metric::MeanPddMs,
        Metric::MeanMediaGapS,
        Metric::Events,
        Metric::Outbound,
        Metric::RejectedBalance,
        Metric::Blacklisted,
        Metric::AfterHours,
        Metric::Alerts,
        Metric::Reminders,
        Metric::MeanLeadH,
        Metric::ZeroBalanceH,
        Metric::TopUps,
        Metric::CtrlRequests,
        Metric::CtrlTimeouts,
        Metric::CtrlMeanWaitMs,
        Metric::CtrlMaxWaitMs,
        Metric::CacheHitRatio,
        Metric::Upgraded,
        Metric::Transferred,
        Metric::TransferFailedShortTalk,
        Metric::TransferFailedNoFreeAgent,
        Metric::TransferFailedNoAnswer,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Metric::Offered => "offered",
            Metric::Answered => "answered",
            Metric::Abandoned => "abandoned",
            Metric::Blocked => "blocked",
            Metric::Voicemail => "voicemail",
            Metric::Forwarded => "forwarded",
            Metric::NoAnswer => "no_answer",
            Metric::Unfinished => "unfinished",
            Metric::Dropped => "dropped",
            Metric::Failed => "failed",
            Metric::PWait => "p_wait",
            Metric::AsaS => "asa_s",
            Metric::MeanWaitS => "mean_wait_s",
            Metric::P95WaitS => "p95_wait_s",
            Metric::MaxWaitS => "max_wait_s",
            Metric::ServiceLevel => "service_level",
            Metric::AbandonRate => "abandon_rate",
            Metric::BlockingRate => "blocking_rate",
            Metric::AgentOccupancy => "agent_occupancy",
            Metric::MeanTalkS => "mean_talk_s",
            Metric::MeanConcurrency => "mean_concurrency",
            Metric::MeanQueue => "mean_queue",
            Metric::MeanMos => "mean_mos",
            Metric::P5Mos => "p5_mos",
            Metric::MeanLossPct => "mean_loss_pct",
            Metric::MeanPddMs => "mean_pdd_ms",
            Metric::MeanMediaGapS => "mean_media_gap_s",
            Metric::Events => "events",
            Metric::Outbound => "outbound",
            Metric::RejectedBalance => "rejected_balance",
            Metric::Blacklisted => "blacklisted",
            Metric::AfterHours => "after_hours",
            Metric::Alerts => "alerts",
            Metric::Reminders => "reminders",
            Metric::MeanLeadH => "mean_lead_h",
            Metric::ZeroBalanceH => "zero_balance_h",
            Metric::TopUps => "topups",
            Metric::CtrlRequests => "ctrl_requests",
            Metric::CtrlTimeouts => "ctrl_timeouts",
            Metric::CtrlMeanWaitMs => "ctrl_mean_wait_ms",
            Metric::CtrlMaxWaitMs => "ctrl_max_wait_ms",
            Metric::CacheHitRatio => "cache_hit_ratio",
            Metric::Upgraded => "upgraded",
            Metric::Transferred => "transferred",
            Metric::TransferFailedShortTalk => "transfer_failed_short_talk",
            Metric::TransferFailedNoFreeAgent => "transfer_failed_no_free_agent",
            Metric::TransferFailedNoAnswer => "transfer_failed_no_answer",
        }
    }

    pub fn from_name(name: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.name() == name)
    }

    /// Whether the metric exists for a portal scope (engine-wide ones such as
    /// `events` exist for the platform only).
    pub fn per_portal(self) -> bool {
        !matches!(
            self,
            Metric::Events
                | Metric::CtrlRequests
                | Metric::CtrlTimeouts
                | Metric::CtrlMeanWaitMs
                | Metric::CtrlMaxWaitMs
                | Metric::Upgraded
        )
    }

    /// The values the metric can take: shares lie in [0, 1], MOS in
    /// [1, 4.5], everything else (counts, times, hours) is non-negative.
    /// Confidence bounds are clipped to it.
    pub fn range(self) -> (f64, f64) {
        match self {
            Metric::PWait
            | Metric::ServiceLevel
            | Metric::AbandonRate
            | Metric::BlockingRate
            | Metric::AgentOccupancy
            | Metric::CacheHitRatio => (0.0, 1.0),
            Metric::MeanMos | Metric::P5Mos => (1.0, 4.5),
            _ => (0.0, f64::INFINITY),
        }
    }

    /// The unit written in `datapackage.json` and `docs/outputs.md`.
    pub fn unit(self) -> &'static str {
        match self {
            Metric::PWait
            | Metric::ServiceLevel
            | Metric::AbandonRate
            | Metric::BlockingRate
            | Metric::AgentOccupancy
            | Metric::CacheHitRatio => "share (0-1)",
            Metric::AsaS
            | Metric::MeanWaitS
            | Metric::P95WaitS
            | Metric::MaxWaitS
            | Metric::MeanTalkS
            | Metric::MeanMediaGapS => "s",
            Metric::MeanPddMs | Metric::CtrlMeanWaitMs | Metric::CtrlMaxWaitMs => "ms",
            Metric::MeanLeadH | Metric::ZeroBalanceH => "h",
            Metric::MeanLossPct => "%",
            Metric::MeanMos | Metric::P5Mos => "MOS (1-4.5)",
            Metric::MeanConcurrency | Metric::MeanQueue => "calls",
            _ => "count",
        }
    }

    pub fn names() -> String {
        Metric::ALL
            .iter()
            .map(|m| m.name())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_indices_match() {
        for (i, m) in Metric::ALL.iter().enumerate() {
            assert_eq!(*m as usize, i);
            assert_eq!(Metric::from_name(m.name()), Some(*m));
        }
        assert_eq!(Metric::from_name("nope"), None);
    }
}
