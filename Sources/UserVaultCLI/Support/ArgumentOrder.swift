/// Lets global options stand before the subcommand (`uservault --store s.sqlite seed ...`):
/// they are moved after the subcommand name, where every subcommand parses them.
enum ArgumentOrder {
    static func hoistGlobalOptions(_ arguments: [String], subcommands: Set<String>) -> [String] {
        let (hoisted, index) = leadingGlobalOptions(arguments)
        // No subcommand after them: leave the line as it was, for ArgumentParser to explain.
        guard index < arguments.count, subcommands.contains(arguments[index]) else { return arguments }
        var rest = Array(arguments[(index + 1)...])
        let insertAt = rest.firstIndex(of: "--") ?? rest.count
        rest.insert(contentsOf: hoisted, at: insertAt)
        return [arguments[index]] + rest
    }

    /// The command word when it names no subcommand (`frobnicate` in `uservault frobnicate
    /// --x 1`): the first argument after the global options that is not an option itself.
    /// ArgumentParser would report the first unknown option instead.
    static func unknownCommand(_ arguments: [String], subcommands: Set<String>) -> String? {
        let (_, index) = leadingGlobalOptions(arguments)
        guard index < arguments.count else { return nil }
        let word = arguments[index]
        return word.hasPrefix("-") || subcommands.contains(word) ? nil : word
    }

    /// The global options (with their values) at the start of the line, and the index of the
    /// first argument after them.
    private static func leadingGlobalOptions(_ arguments: [String]) -> (hoisted: [String], next: Int) {
        var hoisted: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            let name = argument.split(separator: "=", maxSplits: 1).first.map(String.init) ?? argument
            guard GlobalOptions.valueOptionNames.contains(name) else { break }
            if argument.contains("=") {
                hoisted.append(argument)
                index += 1
            } else {
                hoisted.append(argument)
                if index + 1 < arguments.count { hoisted.append(arguments[index + 1]) }
                index += 2
            }
        }
        return (hoisted, index)
    }
}
