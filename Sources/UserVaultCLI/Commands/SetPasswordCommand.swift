import ArgumentParser
import EmbeddedStore
import Foundation
import JobExecution
import Logging
import UserVaultCore

struct SetPasswordCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set-password",
        abstract: "Set a user's password, read from standard input (or typed at a prompt on a terminal).",
        discussion: """
            The remedy of CREDENTIALS_MISSING, NOT_KMS_CIPHERTEXT, KEY_NOT_FOUND and a disabled key. \
            The password is never taken from an argument or the environment: pipe it in, one line \
            (printf '%s\\n' "$NEW_PASSWORD" | uservault set-password USER_ID), or type it twice at the \
            prompt on a terminal (no echo). It is validated as the create path validates it \
            (\(UserValidation.passwordLength.lowerBound)–\(UserValidation.passwordLength.upperBound) characters, \
            not trimmed) and sealed as the create path seals it, with context {"userId": id}: under the \
            user's own key (the one its record names, or a legacy record's key tagged CreatedBy=<id>), or, \
            when that key is gone, disabled, pending deletion or not the user's own, under a new CMK tagged \
            CreatedBy=<id> with rotation on. One conditional write stores it, only if the record still holds \
            what was read. Only after that write is the old key scheduled for deletion (--pending-days), \
            and only if it is tagged for the user and no other record names it (a scan of the table's key \
            ids, never its credentials). Nothing secret is printed or logged.
            Exit 0: the password is set; 2: it is not (no such user, an invalid password, the record \
            changed meanwhile, an operational error).
            """)

    /// What a password on the command line is told (it is never echoed back).
    static let refusal = "set-password takes the user's id only: a password is never read from the command line (it would stay "
        + "in the shell's history and the process list); pipe it in on standard input, e.g. printf '%s\\n' \"$NEW_PASSWORD\" | "
        + "uservault set-password USER_ID, or type it at the prompt on a terminal"

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The user's id (a UUID).", valueName: "user-id"))
    var userId: String

    @Option(name: .customLong("pending-days"),
            help: "The waiting period before the old key's deletion, 7–30 days (CancelKeyDeletion undoes it until then).")
    var pendingDays: Int = 30

    /// The options a password would be given with elsewhere: refused (without the value) with
    /// the line that says how to give it, rather than argument-parser's "unknown option".
    @Option(name: [.customLong("password"), .customLong("credentials"), .customLong("pass"), .customShort("p")],
            help: .hidden)
    var password: String?

    /// Anything else on the line (a password, above all): refused without being echoed.
    @Argument(parsing: .allUnrecognized, help: .hidden)
    var unexpected: [String] = []

    func validate() throws {
        guard unexpected.isEmpty, password == nil else { throw ValidationError(Self.refusal) }
        guard (7...30).contains(pendingDays) else { throw ValidationError("--pending-days must be 7–30 (KMS's range)") }
        // A value that is not an id may be a password typed in the wrong place: not shown.
        guard UserService.isPlausibleId(userId) else {
            throw ValidationError("the user id must be a UUID (the value given is not shown: it may be a password, "
                + "which is read from standard input only)")
        }
    }

    func run() async throws {
        let settings = try Settings(global)
        LogBootstrap.bootstrap(settings)
        // A store that is not there is not made here (a mistyped --store would get an empty one).
        if settings.backend == .local, !FileManager.default.fileExists(atPath: settings.storePath) {
            throw JobExit.failure(EmbeddedStoreError.missingStore(settings.storePath).description)
        }
        let logger = Logger(label: "uservault.set-password")
        let password = try await PasswordInput.read(prompt: "New password for user \(userId): ")
        guard case .success = UserValidation.validatePassword(password) else {
            throw JobExit.usage("the new password must be \(UserValidation.passwordLength.lowerBound)–"
                + "\(UserValidation.passwordLength.upperBound) characters (it is not trimmed): nothing was changed")
        }
        let (userId, pendingDays) = (self.userId, self.pendingDays)
        let change = try await Backend.with(settings, logger: logger) { backend in
            let service = UserService(table: backend.table, keys: backend.keys, cursors: PageCursorCodec(secret: backend.cursorSecret),
                                      configuration: .init(replacedKeyPendingDays: pendingDays))
            do {
                return try await service.setPassword(userId: userId, password: password, logger: logger)
            } catch {
                throw JobExit.failure("set-password failed: \(UserService.safeDescription(error))")
            }
        }
        print(change.summary)
    }
}
