import Testing

@testable import GatewayCore
@testable import GatewayWire

/// EasyHandlePool: handles come back reset and are handed out again; the capacity bounds what is kept.
@Suite struct UpstreamEasyHandlePoolTests {
    @Test func returnedHandlesAreReusedUpToTheCapacity() throws {
        let pool = EasyHandlePool(capacity: 1)
        let first = try #require(pool.take())
        let second = try #require(pool.take())
        #expect(first != second)
        #expect(pool.idleCount == 0)

        pool.give(first)
        pool.give(second)  // over capacity: freed, not kept
        #expect(pool.idleCount == 1)

        let again = try #require(pool.take())
        #expect(again == first)
        #expect(pool.idleCount == 0)
        pool.give(again)
    }

    @Test func aPoolWithNoCapacityKeepsNothing() throws {
        let pool = EasyHandlePool(capacity: 0)
        let handle = try #require(pool.take())
        pool.give(handle)
        #expect(pool.idleCount == 0)
    }
}
