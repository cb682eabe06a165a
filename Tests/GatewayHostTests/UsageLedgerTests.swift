import Foundation
import Testing

@testable import GatewayCore

/// The SQLite usage ledger: arithmetic (buffered and written), file modes, restart, the kill -9 promise,
/// concurrent appends, and clear errors. The kill -9 and umask checks run in exit-test child processes
/// (the umask is process-wide; the child SIGKILLs itself) so nothing leaks into the other tests.
@Suite struct UsageLedgerTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    static func record(
        _ seq: Int, client: String = "team-a", model: String = "m1", target: String = "t1", cost: Double = 0.001,
        time: Date = Date(), estimated: Bool = false, pack: String = "demo"
    ) -> UsageRecord {
        UsageRecord(
            time: time, requestID: String(seq), clientID: client, pack: pack, model: model, target: target,
            attempt: 1, promptTokens: 10, completionTokens: 4, cachedTokens: 2, costUSD: cost, estimated: estimated,
            status: 200)
    }

    static func mode(_ path: String) -> mode_t {
        var info = stat()
        guard lstat(path, &info) == 0 else { return 0o7777 }
        return info.st_mode & 0o777
    }

    static func near(_ a: Double, _ b: Double, _ tolerance: Double = 1e-9) -> Bool { abs(a - b) <= tolerance }

    /// Five records: one before `t0`, two clients, two models, two targets, two packs.
    static func appendFixture(_ ledger: UsageLedger) {
        ledger.append(record(0, client: "team-a", cost: 100, time: t0.addingTimeInterval(-10)))
        ledger.append(record(1, client: "team-a", model: "m1", target: "t1", cost: 0.25, time: t0))
        ledger.append(
            record(2, client: "team-a", model: "m2", target: "t1", cost: 0.5, time: t0 + 1, estimated: true))
        ledger.append(record(3, client: "team-b", model: "m2", target: "t2", cost: 1.0, time: t0 + 2))
        ledger.append(record(4, client: "team-b", model: "m2", target: "t2", cost: 0.125, time: t0 + 3, pack: "other"))
    }

    static func expectFixtureTotals(_ ledger: UsageLedger) throws {
        #expect(near(try ledger.spend(clientID: "team-a", since: t0), 0.75))
        #expect(near(try ledger.spend(clientID: "team-a", since: t0 - 100), 100.75))
        #expect(near(try ledger.spend(clientID: nil, since: t0), 1.875))
        #expect(near(try ledger.spend(clientID: nil, since: t0, pack: "demo"), 1.75))
        #expect(try ledger.spend(clientID: "nobody", since: t0) == 0)
        let byClient = try ledger.summary(groupBy: .client, from: t0, to: nil)
        #expect(byClient.map(\.key) == ["team-b", "team-a"], "sorted by cost, highest first")
        #expect(
            byClient.last
                == UsageSummaryRow(
                    key: "team-a", requests: 2, promptTokens: 20, completionTokens: 8, cachedTokens: 4, costUSD: 0.75,
                    estimated: 1))
        #expect(byClient.first?.requests == 2 && near(byClient.first?.costUSD ?? 0, 1.125))
        let byModel = try ledger.summary(groupBy: .model, from: t0, to: t0 + 3)  // `to` is exclusive
        #expect(byModel.map(\.key) == ["m2", "m1"] && byModel[0].requests == 2 && near(byModel[0].costUSD, 1.5))
        let byTarget = try ledger.summary(groupBy: .target, from: nil, to: nil)
        #expect(byTarget.map(\.key) == ["t1", "t2"] && byTarget[0].requests == 3 && near(byTarget[0].costUSD, 100.75))
        let demo = try ledger.summary(groupBy: .client, from: t0, to: nil, pack: "demo")
        #expect(demo.first { $0.key == "team-b" }?.requests == 1)
    }

    @Test func arithmeticCountsBufferedAndWrittenRecordsAlike() throws {
        let ledger = try UsageLedger(folder: TestPaths.makeTemporaryFolder("ledger"), writeInterval: 1)
        Self.appendFixture(ledger)
        #expect(ledger.bufferedCount == 5)
        try Self.expectFixtureTotals(ledger)  // nothing written yet
        try ledger.flush()
        #expect(ledger.bufferedCount == 0)
        try Self.expectFixtureTotals(ledger)  // everything from the file
        try ledger.close()
    }

    @Test func reopeningAfterCloseKeepsEverything() throws {
        let folder = TestPaths.makeTemporaryFolder("ledger")
        let first = try UsageLedger(folder: folder)
        Self.appendFixture(first)
        try first.close()  // writes the buffer
        try first.close()  // idempotent
        #expect(throws: UsageLedgerError.self) { try first.spend(clientID: nil, since: .distantPast) }
        let second = try UsageLedger(folder: folder)
        try Self.expectFixtureTotals(second)
        #expect(Self.near(try second.spend(clientID: nil, since: .distantPast), 101.875))
        try second.close()
    }

    @Test func aLedgerDroppedWithoutCloseStillWritesItsBuffer() async throws {
        let folder = TestPaths.makeTemporaryFolder("ledger")
        do {
            let ledger = try UsageLedger(folder: folder, writeInterval: 1)
            for seq in 0..<10 { ledger.append(Self.record(seq)) }
        }
        try await Task.sleep(for: .milliseconds(1200))  // the writer thread lets go of it within a tick
        let reopened = try UsageLedger(folder: folder)
        #expect(try reopened.summary(groupBy: .client, from: nil, to: nil).first?.requests == 10)
        try reopened.close()
    }

    @Test func recordsReachTheFileWithinASecondWithoutFlush() async throws {
        let folder = TestPaths.makeTemporaryFolder("ledger")
        let writer = try UsageLedger(folder: folder)
        for seq in 0..<100 { writer.append(Self.record(seq)) }
        try await Task.sleep(for: .milliseconds(1100))
        #expect(writer.bufferedCount == 0)
        // A second connection (as `gatewayhost usage` would be) sees them; it has no buffer of its own.
        let reader = try UsageLedger(folder: folder)
        #expect(try reader.summary(groupBy: .client, from: nil, to: nil).first?.requests == 100)
        try reader.close()
        try writer.close()
    }

    @Test func folderAndFilesArePrivateWhateverTheUmask() async throws {
        let base = TestPaths.makeTemporaryFolder("ledger")
        // In a child: the umask is process-wide.
        await #expect(processExitsWith: .success) { [base = base as String] in
            var bad: Int32 = 0
            for (index, mask) in ([0, 0o022, 0o077, 0o277] as [mode_t]).enumerated() {
                let folder = base + "/m\(index)/nested/data"
                let old = umask(mask)
                let ledger = try UsageLedger(folder: folder)
                ledger.append(Self.record(1))
                try ledger.flush()
                umask(old)
                for path in [base + "/m\(index)", base + "/m\(index)/nested", folder] where Self.mode(path) != 0o700 {
                    bad += 1
                }
                for file in ["usage.sqlite3", "usage.sqlite3-wal", "usage.sqlite3-shm"]
                where Self.mode(folder + "/" + file) != 0o600 {
                    bad += 1
                }
                try ledger.close()
            }
            exit(bad == 0 ? 0 : 10 + bad)
        }
        // An existing folder is left as it is; an existing file readable by others is tightened.
        let existing = TestPaths.makeTemporaryFolder("ledger")
        chmod(existing, 0o755)
        _ = FileManager.default.createFile(
            atPath: existing + "/usage.sqlite3", contents: nil, attributes: [.posixPermissions: 0o644])
        let ledger = try UsageLedger(folder: existing)
        #expect(Self.mode(existing + "/usage.sqlite3") == 0o600)
        #expect(Self.mode(existing) == 0o755)
        try ledger.close()
    }

    /// A child appends ~4000 records/s, then SIGKILLs itself at once (no close, no flush, no atexit).
    /// Every record older than one second at the kill must be in the file.
    @Test func killNineLosesAtMostTheLastSecond() async throws {
        let folder = TestPaths.makeTemporaryFolder("ledger-kill")
        let result = await #expect(processExitsWith: .signal(SIGKILL), observing: [\.standardOutputContent]) {
            [folder = folder as String] in
            let ledger = try UsageLedger(folder: folder)
            var times: [Double] = []
            let start = Date()
            while Date().timeIntervalSince(start) < 2.3 {
                let now = Date()
                ledger.append(Self.record(times.count, time: now))
                times.append(now.timeIntervalSince1970)
                usleep(250)
            }
            let killTime = Date().timeIntervalSince1970
            let olderThanOneSecond = times.filter { $0 < killTime - 1 }.count
            FileHandle.standardOutput.write(Data("\(times.count) \(olderThanOneSecond) \(killTime)\n".utf8))
            kill(getpid(), SIGKILL)
        }
        let output = String(decoding: result?.standardOutputContent ?? [], as: UTF8.self)
        let fields = output.split(whereSeparator: \.isWhitespace)
        let appended = try #require(fields.count == 3 ? Int(fields[0]) : nil, "child said: \(output)")
        let olderThanOneSecond = try #require(Int(fields[1]))
        let killTime = try #require(Double(fields[2]))
        let ledger = try UsageLedger(folder: folder)
        let stored = try ledger.summary(groupBy: .client, from: nil, to: nil).first?.requests ?? 0
        let storedOld =
            try ledger.summary(
                groupBy: .client, from: nil, to: Date(timeIntervalSince1970: killTime - 1)
            ).first?.requests ?? 0
        try ledger.close()
        #expect(storedOld == olderThanOneSecond, "every record older than 1 s at the kill survived")
        #expect(stored <= appended && stored >= olderThanOneSecond)
        #expect(stored > 0)
    }

    @Test func eightThreadsAppendWhileAReaderSeesEachRecordOnce() async throws {
        let folder = TestPaths.makeTemporaryFolder("ledger")
        let ledger = try UsageLedger(folder: folder, writeInterval: 0.05)
        let threads = 8
        let perThread = 5000
        let problems = try await Shell.offPool { () throws -> [String] in
            final class Box: @unchecked Sendable {
                let lock = NSLock()
                var stop = false
                var problems: [String] = []
            }
            let box = Box()
            let readerDone = DispatchSemaphore(value: 0)
            Thread {
                var last = 0
                while true {
                    box.lock.lock()
                    let stop = box.stop
                    box.lock.unlock()
                    if stop { break }
                    do {
                        let total = try ledger.summary(groupBy: .client, from: nil, to: nil).reduce(0) {
                            $0 + $1.requests
                        }
                        let spent = try ledger.spend(clientID: nil, since: .distantPast)
                        // Never counted twice (total grows, stays within what was appended), never missed.
                        if total < last || total > threads * perThread || spent + 1e-6 < Double(total) * 0.001 {
                            box.lock.lock()
                            box.problems.append("total \(total) after \(last), spend \(spent)")
                            box.lock.unlock()
                        }
                        last = total
                    } catch {
                        box.lock.lock()
                        box.problems.append("\(error)")
                        box.lock.unlock()
                    }
                }
                readerDone.signal()
            }.start()
            let finished = DispatchSemaphore(value: 0)
            for t in 0..<threads {
                Thread {
                    for i in 0..<perThread { ledger.append(Self.record(t * perThread + i, client: "c\(t)")) }
                    finished.signal()
                }.start()
            }
            for _ in 0..<threads { finished.wait() }
            box.lock.lock()
            box.stop = true
            box.lock.unlock()
            readerDone.wait()
            return box.problems
        }
        #expect(problems.isEmpty)
        let rows = try ledger.summary(groupBy: .client, from: nil, to: nil)
        #expect(rows.count == threads && rows.allSatisfy { $0.requests == perThread })
        #expect(
            Self.near(try ledger.spend(clientID: nil, since: .distantPast), Double(threads * perThread) * 0.001, 1e-6))
        try ledger.close()
        let reopened = try UsageLedger(folder: folder)
        #expect(try reopened.summary(groupBy: .target, from: nil, to: nil).first?.requests == threads * perThread)
        try reopened.close()
    }

    @Test func anUnwritableFolderIsAClearError() async throws {
        let folder = TestPaths.makeTemporaryFolder("ledger-ro")
        chmod(folder, 0o555)
        defer { chmod(folder, 0o700) }
        // In a child, which drops root (root ignores modes) before trying.
        let result = await #expect(processExitsWith: .success, observing: [\.standardOutputContent]) {
            [folder = folder as String] in
            if geteuid() == 0 {
                guard setgroups(0, nil) == 0, setgid(65534) == 0, setuid(65534) == 0 else { exit(2) }
            }
            do {
                _ = try UsageLedger(folder: folder)
                exit(1)
            } catch {
                FileHandle.standardOutput.write(Data("\(error)".utf8))
                exit(0)
            }
        }
        let message = String(decoding: result?.standardOutputContent ?? [], as: UTF8.self)
        #expect(message.contains(folder + "/usage.sqlite3"), "names the file: \(message)")
        #expect(message.contains("Permission denied"), "says why: \(message)")
    }

    @Test func aCorruptFileOrAFileInTheWayIsAClearError() throws {
        let corrupt = TestPaths.makeTemporaryFolder("ledger")
        _ = FileManager.default.createFile(
            atPath: corrupt + "/usage.sqlite3", contents: Data(repeating: 0x5A, count: 8192),
            attributes: [.posixPermissions: 0o600])
        let error = #expect(throws: UsageLedgerError.self) { try UsageLedger(folder: corrupt) }
        #expect(error?.path == corrupt + "/usage.sqlite3")
        #expect(error?.description.contains("file is not a database") == true, "\(String(describing: error))")

        let base = TestPaths.makeTemporaryFolder("ledger")
        _ = FileManager.default.createFile(atPath: base + "/file", contents: Data("x".utf8))
        let blocked = #expect(throws: UsageLedgerError.self) { try UsageLedger(folder: base + "/file/data") }
        #expect(blocked?.path == base + "/file" && blocked?.message.contains("not a folder") == true)

        let linked = TestPaths.makeTemporaryFolder("ledger")
        symlink(linked + "/elsewhere", linked + "/usage.sqlite3")
        let refused = #expect(throws: UsageLedgerError.self) { try UsageLedger(folder: linked) }
        #expect(refused?.message.contains("symbolic link") == true)
    }

    @Test func renderingForTheAdminEndpointAndTheCLI() throws {
        let row = UsageSummaryRow(
            key: "team-a", requests: 3, promptTokens: 30, completionTokens: 12, cachedTokens: 0, costUSD: 0.000195,
            estimated: 1)
        #expect(
            row.json
                == #"{"key":"team-a","requests":3,"prompt_tokens":30,"completion_tokens":12,"cached_tokens":0,"cost_usd":0.000195,"estimated":1}"#
        )
        let noisy = UsageSummaryRow(key: "q\"\n", costUSD: 0.1 + 0.2)
        #expect(noisy.json.contains(#""key":"q\"\n""#) && noisy.json.contains(#""cost_usd":0.3,"#))
        #expect(UsageSummaryRow(key: "x", costUSD: 5).json.contains(#""cost_usd":5,"#))
        let report = UsageRendering.json(
            rows: [row], groupBy: .client, from: Date(timeIntervalSince1970: 1_796_083_200), to: nil)
        #expect(report == #"{"group_by":"client","from":"2026-12-01T00:00:00Z","to":null,"rows":["# + row.json + "]}")
        #expect((try? JSONSerialization.jsonObject(with: Data(report.utf8))) != nil)
        let table = UsageRendering.table(
            rows: [row, UsageSummaryRow(key: "team-b", requests: 1, costUSD: 0.0001)], groupBy: .client)
        let lines = table.split(separator: "\n")
        #expect(lines.count == 4 && lines[0].hasPrefix("CLIENT") && lines[3].hasPrefix("TOTAL"))
        #expect(lines[3].contains("0.000295") && lines[3].hasSuffix(" 1"))
        #expect(Set(lines.map(\.count)).count == 1, "columns aligned")
    }
}
