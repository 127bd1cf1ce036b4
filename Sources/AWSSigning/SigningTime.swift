#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The signing time in the two forms SigV4 uses, both UTC: `20150830T123600Z` (the
/// `X-Amz-Date` value) and `20150830` (the date of the credential scope).
///
/// Computed arithmetically from the Unix time (whole seconds, rounded down): no formatter, no
/// calendar, no locale.
struct SigningTime {
    /// `yyyyMMdd'T'HHmmss'Z'`.
    let timestamp: String
    /// `yyyyMMdd`, the first eight characters of ``timestamp``.
    let dateStamp: String

    init(_ date: Date) {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 {
            days -= 1
            secondOfDay += 86_400
        }
        // Days since 1970-01-01 to a proleptic Gregorian civil date
        // (Howard Hinnant, "chrono-Compatible Low-Level Date Algorithms", civil_from_days).
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)

        let hour = secondOfDay / 3_600
        let minute = secondOfDay % 3_600 / 60
        let second = secondOfDay % 60

        let timestamp = String(unsafeUninitializedCapacity: 16) { output in
            var index = 0
            func put(_ value: Int, digits: Int) {
                var value = min(max(value, 0), digits == 4 ? 9_999 : 99)
                for position in stride(from: index + digits - 1, through: index, by: -1) {
                    output[position] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
                index += digits
            }
            put(year, digits: 4)
            put(month, digits: 2)
            put(day, digits: 2)
            output[index] = UInt8(ascii: "T")
            index += 1
            put(hour, digits: 2)
            put(minute, digits: 2)
            put(second, digits: 2)
            output[index] = UInt8(ascii: "Z")
            index += 1
            return index
        }
        self.timestamp = timestamp
        self.dateStamp = String(timestamp.prefix(8))
    }
}
