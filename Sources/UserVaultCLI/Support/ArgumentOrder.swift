/// Lets global options stand before the subcommand (`uservault --store s.sqlite seed ...`):
/// they are moved after the subcommand name, where every subcommand parses them.
enum ArgumentOrder {
    static func hoistGlobalOptions(_ arguments: [String], subcommands: Set<String>) -> [String] {
        var hoisted: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if subcommands.contains(argument) {
                var rest = Array(arguments[(index + 1)...])
                let insertAt = rest.firstIndex(of: "--") ?? rest.count
                rest.insert(contentsOf: hoisted, at: insertAt)
                return [argument] + rest
            }
            let name = argument.split(separator: "=", maxSplits: 1).first.map(String.init) ?? argument
            guard GlobalOptions.valueOptionNames.contains(name) else { return arguments }
            if argument.contains("=") {
                hoisted.append(argument)
                index += 1
            } else {
                hoisted.append(argument)
                if index + 1 < arguments.count { hoisted.append(arguments[index + 1]) }
                index += 2
            }
        }
        // No subcommand: leave the line as it was, for ArgumentParser to explain.
        return arguments
    }
}
