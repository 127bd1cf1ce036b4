/// The pages of a paginated AWS operation as an `AsyncSequence`: each page is fetched when
/// asked for, so memory stays at one page.
public struct Pages<Page: Sendable, Token: Sendable>: AsyncSequence, Sendable {
    public typealias Element = Page

    let first: Token?
    let fetch: @Sendable (Token?) async throws -> (Page, Token?)

    init(first: Token?, fetch: @escaping @Sendable (Token?) async throws -> (Page, Token?)) {
        self.first = first
        self.fetch = fetch
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var token: Token?
        var done = false
        let fetch: @Sendable (Token?) async throws -> (Page, Token?)

        public mutating func next() async throws -> Page? {
            guard !done else { return nil }
            let (page, next) = try await fetch(token)
            token = next
            done = next == nil
            return page
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(token: first, fetch: fetch)
    }
}
