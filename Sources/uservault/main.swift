import Foundation
import UserVaultCLI

exit(await UserVaultCLI.main(Array(CommandLine.arguments.dropFirst())))
