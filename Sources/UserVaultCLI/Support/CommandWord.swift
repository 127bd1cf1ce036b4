/// Finds the command word of a line whose global options may stand before it, to name an
/// unknown command as such (argument-parser would report its first unknown option instead).
enum CommandWord {
    /// The command word when it names no subcommand (`frobnicate` in `uservault frobnicate
    /// --x 1`): the first argument after the global options that is not an option itself.
    /// ArgumentParser would report the first unknown option instead.
    static func unknown(_ arguments: [String], subcommands: Set<String>) -> String? {
        let (_, index) = leadingGlobalOptions(arguments)
        guard index < arguments.count else { return nil }
        let word = arguments[index]
        return word.hasPrefix("-") || subcommands.contains(word) ? nil : word
    }

    /// The global options (with their values) at the start of the line, and the index of the
    /// first argument after them.
    private static func leadingGlobalOptions(_ arguments: [String]) -> (options: [String], next: Int) {
        var options: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            let name = argument.split(separator: "=", maxSplits: 1).first.map(String.init) ?? argument
            guard GlobalOptions.valueOptionNames.contains(name) else { break }
            if argument.contains("=") {
                options.append(argument)
                index += 1
            } else {
                options.append(argument)
                if index + 1 < arguments.count { options.append(arguments[index + 1]) }
                index += 2
            }
        }
        return (options, index)
    }
}
