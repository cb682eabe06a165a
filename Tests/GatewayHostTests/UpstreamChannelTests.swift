import Synchronization
import Testing

@testable import GatewayCore
@testable import GatewayWire

/// TransferChannel: the bounded hand-over between a multi thread and the reading task.
@Suite struct UpstreamChannelTests {
    private func offer(_ channel: TransferChannel, _ count: Int) -> Bool {
        [UInt8](repeating: 7, count: count).withUnsafeBytes { channel.offer($0) }
    }

    @Test func refusesAtTheHighWaterMarkAndAsksForAnUnpauseAtTheLowWaterMark() async throws {
        let channel = TransferChannel(highWater: 100)
        #expect(offer(channel, 60))
        #expect(offer(channel, 60))  // 60 < 100: accepted, now 120 queued
        #expect(!offer(channel, 60))  // at/over the mark: refused (curl pauses and keeps the bytes)
        #expect(channel.stats.peakBufferedBytes == 120)
        #expect(channel.stats.pauses == 1)

        let unpauses = Atomic<Int>(0)
        let first = try await channel.nextChunk(onUnpause: { unpauses.add(1, ordering: .relaxed) }).get()
        #expect(first?.count == 60)
        #expect(unpauses.load(ordering: .relaxed) == 0)  // 60 still queued, above the low-water mark of 50
        _ = try await channel.nextChunk(onUnpause: { unpauses.add(1, ordering: .relaxed) }).get()
        #expect(unpauses.load(ordering: .relaxed) == 1)
        #expect(offer(channel, 60))
    }

    @Test func queuedChunksComeBeforeTheError() async throws {
        let channel = TransferChannel(highWater: 1000)
        channel.deliverHead(ResponseHead(status: 200, headers: []))
        #expect(offer(channel, 10))
        channel.finish(.failure(.transfer("reset")))
        #expect(try await channel.nextChunk(onUnpause: {}).get()?.count == 10)
        #expect(await channel.nextChunk(onUnpause: {}) == .failure(.transfer("reset")))
    }

    @Test func aWaitingReaderGetsTheNextChunkDirectly() async throws {
        let channel = TransferChannel(highWater: 1000)
        async let next = channel.nextChunk(onUnpause: {})
        try await Task.sleep(for: .milliseconds(50))
        #expect(offer(channel, 5))
        #expect(try await next.get()?.count == 5)
        #expect(channel.stats.peakBufferedBytes == 0)  // never queued
        channel.finish(.success(()))
        #expect(try await channel.nextChunk(onUnpause: {}).get() == nil)
    }

    @Test func cancelWakesTheHeadWaiterAndReportsWhetherCurlMustStop() async {
        let channel = TransferChannel(highWater: 1000)
        async let head = channel.awaitHead()
        try? await Task.sleep(for: .milliseconds(50))
        #expect(channel.cancel())
        #expect(!channel.cancel())  // only once
        guard case .failure(.cancelled) = await head else {
            Issue.record("the head waiter was not cancelled")
            return
        }
        #expect(await channel.nextChunk(onUnpause: {}) == .failure(.cancelled))

        let finished = TransferChannel(highWater: 1000)
        finished.finish(.success(()))
        #expect(!finished.cancel())  // nothing left for curl to stop
    }

    @Test func finishWithoutAHeadFailsTheHeadWaiter() async {
        let channel = TransferChannel(highWater: 1000)
        channel.finish(.failure(.couldNotConnect("refused")))
        guard case .failure(.couldNotConnect) = await channel.awaitHead() else {
            Issue.record("expected couldNotConnect")
            return
        }
    }
}
