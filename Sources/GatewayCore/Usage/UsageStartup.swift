import Foundation
import Logging

/// What the usage features need at start: the ledger in `gateway.data_dir`, the limit state backend, and
/// with the in-memory backend the day's and month's spend restored from the ledger (so a restart does not
/// reset budgets). With Redis the spend lives in Redis, shared by the replicas: nothing is restored.
///
/// Usage:
/// ```swift
/// let (state, ledger) = try await UsageStartup.open(config, logger: logger)
/// ```
package enum UsageStartup {
    package struct StartError: Error, CustomStringConvertible {
        package let description: String
    }

    package static func open(_ config: GatewayConfig, logger: Logger) async throws -> (any LimitState, UsageLedger) {
        let ledger: UsageLedger
        do throws(UsageLedgerError) {
            ledger = try UsageLedger(
                folder: config.gateway.dataDir,
                onWriteError: { error in logger.error("usage ledger: \(error.description); will retry") })
        } catch {
            throw StartError(description: "cannot open the usage ledger: \(error.description) (gateway.data_dir)")
        }
        let state: any LimitState
        switch config.usage.state.backend {
        case .memory:
            let memory = MemoryLimitState()
            try await restoreSpend(from: ledger, into: memory, pack: config.pack.name)
            state = memory
        case .redis:
            do throws(LimitStateError) {
                let redis = try RedisLimitState(
                    url: config.usage.state.url?.reveal ?? "", keyPrefix: config.usage.state.keyPrefix)
                do throws(LimitStateError) {
                    try await redis.ping()
                } catch {
                    // Not fatal: the gateway reconnects by itself; on_state_error decides meanwhile.
                    logger.warning("state: Redis is not reachable yet (\(error.description)); retrying on use")
                }
                state = redis
            } catch {
                throw StartError(description: "state.url: \(error.description)")
            }
        }
        return (state, ledger)
    }

    /// Today's and this month's spend per client and for the pack, from the ledger into the counters.
    static func restoreSpend(from ledger: UsageLedger, into state: MemoryLimitState, pack: String) async throws {
        let now = UnixClock.now()
        let (dayStart, monthStart) = periodStarts(now)
        for (since, index) in [(dayStart, 0), (monthStart, 1)] {
            let rows: [UsageSummaryRow]
            do throws(UsageLedgerError) {
                rows = try ledger.summary(
                    groupBy: .client, from: Date(timeIntervalSince1970: since), to: nil, pack: pack)
            } catch {
                throw StartError(description: "cannot read the usage ledger: \(error.description)")
            }
            var packTotal = 0.0
            for row in rows where row.costUSD > 0 {
                let key = UsageLimiter.spendKeys(scope: "client", name: row.key, now: now)[index]
                _ = try? await state.add(key.key, amount: row.costUSD, ttlSeconds: key.ttl)
                packTotal += row.costUSD
            }
            if packTotal > 0 {
                let key = UsageLimiter.spendKeys(scope: "pack", name: pack, now: now)[index]
                _ = try? await state.add(key.key, amount: packTotal, ttlSeconds: key.ttl)
            }
        }
    }

    /// The start of the current UTC day and month, in Unix seconds.
    static func periodStarts(_ now: Double) -> (day: Double, month: Double) {
        var seconds = time_t(now)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let day =
            now - Double(Int(parts.tm_hour) * 3600 + Int(parts.tm_min) * 60 + Int(parts.tm_sec))
            - now.truncatingRemainder(dividingBy: 1)
        let month = day - Double((Int(parts.tm_mday) - 1) * 86_400)
        return (day, month)
    }
}
