import ArgumentParser

/// A command some of whose modes have not landed yet (`rotate-keys --mode rekey`): `unavailable`
/// says why. The command exits 2 with it; `run --dry-run` and the
/// Lambda job handler refuse such a job up front.
protocol PartlyAvailableCommand: ParsableCommand {
    var unavailable: String? { get }
}
