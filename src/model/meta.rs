//! Version and document metadata, strictly typed.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};

/// A version number such as `2.0` or `10.1`, compared part by part.
///
/// Equality, hashing and ordering all use one canonical form, the parts
/// without trailing zeros: `3`, `3.0` and `03.0` are the same version. If
/// they were not, `v3.md` and `v3.0.md` could both exist, `emrr@3` would
/// not find `3.0`, and a `HashMap` would disagree with a sort. The text as
/// written is kept for display only.
#[derive(Debug, Clone)]
pub struct VersionNumber {
    /// Canonical: no trailing zero parts (`3.0` → `[3]`, `0` → `[]`).
    key: Vec<u32>,
    text: String,
}

impl VersionNumber {
    /// The next minor (`3.0` → `3.1`) version.
    pub fn next_minor(&self) -> VersionNumber {
        let major = self.key.first().copied().unwrap_or(0);
        let minor = self.key.get(1).copied().unwrap_or(0) + 1;
        VersionNumber::from_str(&format!("{major}.{minor}")).expect("valid")
    }

    /// The canonical text: `3.0` for `3`, `03.00` and `3.0`.
    pub fn canonical(&self) -> String {
        let mut parts: Vec<String> = self.key.iter().map(|p| p.to_string()).collect();
        while parts.len() < 2 {
            parts.push("0".into());
        }
        parts.join(".")
    }
}

impl PartialEq for VersionNumber {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for VersionNumber {}

impl std::hash::Hash for VersionNumber {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.key.hash(state);
    }
}

impl FromStr for VersionNumber {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad =
            || format!("`{s}` is not a version number: use digits separated by dots, like \"3.0\"");
        if s.is_empty() || s.len() > 32 {
            return Err(bad());
        }
        let mut key = Vec::new();
        for p in s.split('.') {
            if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) || p.len() > 9 {
                return Err(bad());
            }
            key.push(p.parse::<u32>().map_err(|_| bad())?);
        }
        if key.len() > 4 {
            return Err(bad());
        }
        while key.last() == Some(&0) {
            key.pop();
        }
        Ok(VersionNumber {
            key,
            text: s.to_string(),
        })
    }
}

impl Ord for VersionNumber {
    fn cmp(&self, other: &Self) -> Ordering {
        // Lexicographic on canonical parts: `[3] < [3, 1]`, as 3.0 < 3.1.
        self.key.cmp(&other.key)
    }
}

impl PartialOrd for VersionNumber {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for VersionNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for VersionNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // A bare YAML number (`version: 3.10`) would already have lost its
        // trailing zero, so only a string is accepted.
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = VersionNumber;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a quoted version number such as \"3.0\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<VersionNumber, E> {
                VersionNumber::from_str(v).map_err(E::custom)
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<VersionNumber, E> {
                Err(E::custom(format!(
                    "version {v:?} must be quoted (write \"{v:?}\"), or YAML reads it as a number and drops trailing zeros"
                )))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<VersionNumber, E> {
                Err(E::custom(format!(
                    "version {v} must be quoted, like \"{v}.0\""
                )))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<VersionNumber, E> {
                Err(E::custom(format!(
                    "version {v} must be quoted, like \"{v}.0\""
                )))
            }
        }
        d.deserialize_any(V)
    }
}

impl Serialize for VersionNumber {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

/// A calendar date (ISO 8601, `YYYY-MM-DD`), validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EffectiveDate {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

impl EffectiveDate {
    pub fn new(year: i32, month: u8, day: u8) -> Option<Self> {
        if !(1..=12).contains(&month) || day == 0 || !(1000..=9999).contains(&year) {
            return None;
        }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days = match month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        (day <= days).then_some(EffectiveDate { year, month, day })
    }

    /// `19 July 2024`, the form used in the published text.
    pub fn long(&self) -> String {
        format!(
            "{} {} {}",
            self.day,
            MONTHS[self.month as usize - 1],
            self.year
        )
    }

    /// Days since 1970-01-01.
    pub fn days(&self) -> i64 {
        // Days-from-civil (Howard Hinnant's algorithm).
        let y = if self.month <= 2 {
            self.year as i64 - 1
        } else {
            self.year as i64
        };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = self.month as i64;
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + self.day as i64 - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `n` days later (earlier for negative `n`).
    pub fn add_days(&self, n: i64) -> Option<Self> {
        EffectiveDate::from_unix((self.days() + n) * 86_400)
    }

    /// The date of a Unix timestamp (UTC), for SOURCE_DATE_EPOCH.
    pub fn from_unix(secs: i64) -> Option<Self> {
        let days = secs.div_euclid(86_400);
        // Civil-from-days (Howard Hinnant's algorithm).
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let y = yoe + era * 400;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let m = (if mp < 10 { mp + 3 } else { mp - 9 }) as u8;
        let y = if m <= 2 { y + 1 } else { y };
        EffectiveDate::new(y as i32, m, d)
    }
}

impl FromStr for EffectiveDate {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let b = s.as_bytes();
        let shape = b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
        if !shape {
            return Err(format!(
                "`{s}` is not a date: write it as YYYY-MM-DD, like 2024-07-19"
            ));
        }
        let year = s[0..4].parse().map_err(|_| "bad year".to_string())?;
        let month = s[5..7].parse().map_err(|_| "bad month".to_string())?;
        let day = s[8..10].parse().map_err(|_| "bad day".to_string())?;
        EffectiveDate::new(year, month, day)
            .ok_or_else(|| format!("`{s}` is not a real calendar date"))
    }
}

impl fmt::Display for EffectiveDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl<'de> Deserialize<'de> for EffectiveDate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // A visitor (not String then parse) keeps the YAML position.
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = EffectiveDate;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a date as YYYY-MM-DD")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<EffectiveDate, E> {
                EffectiveDate::from_str(v).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

impl Serialize for EffectiveDate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Where a version is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Draft,
    Approved,
    Superseded,
    Withdrawn,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::Draft => "draft",
            Status::Approved => "approved",
            Status::Superseded => "superseded",
            Status::Withdrawn => "withdrawn",
        })
    }
}

/// Who approved a version and when.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    pub by: String,
    pub on: EffectiveDate,
}

/// The consultation a draft was published for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Consultation {
    pub published: EffectiveDate,
    pub closes: EffectiveDate,
    /// How the consultation names the mark-up, e.g. "Attachment 1".
    #[serde(default)]
    pub attachment: Option<String>,
}

/// Front matter of one version file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct VersionMeta {
    pub version: VersionNumber,
    pub status: Status,
    /// The date it takes effect; for a draft, the proposed date.
    pub effective: EffectiveDate,
    /// One line for the document-control table.
    pub summary: String,
    #[serde(default)]
    pub approved: Option<Approval>,
    #[serde(default)]
    pub supersedes: Option<VersionNumber>,
    #[serde(default)]
    pub consultation: Option<Consultation>,
    /// Overrides the document title for this version (plain files).
    #[serde(default)]
    pub title: Option<String>,
    /// Values the source could not give, shown in the PDF as such.
    #[serde(default)]
    pub assumptions: Vec<String>,
}

/// `document.yaml`: what is true of every version of a document.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentInfo {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub short_title: Option<String>,
    pub owner: String,
    pub classification: String,
    /// Who approves new versions (e.g. DESNZ).
    pub approver: String,
    /// The clauses that govern the document.
    #[serde(default)]
    pub governed_by: Option<String>,
    /// Header of the column that identifies table rows in mark-ups and
    /// diffs (default: the first column).
    #[serde(default)]
    pub table_key: Option<String>,
    /// The house style of its PDFs: a logo and fonts from the templates
    /// folder. Without it, regdoc's own look (embedded fonts, no logo).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub style: Option<HouseStyle>,
}

/// `style:` in `document.yaml`. Files are named inside the templates
/// folder (`--templates DIR`), read through the same sandbox as the
/// templates: `logo: logo.svg`, fonts in `fonts/`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HouseStyle {
    /// An image in the templates folder (SVG, PNG, JPEG), shown on the
    /// cover.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo: Option<String>,
    /// The font family of the text, from `fonts/` in the templates folder
    /// or embedded in regdoc.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub font: Option<String>,
    /// The font family of headings and titles (default: `font`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heading_font: Option<String>,
}

impl DocumentInfo {
    pub fn display_short(&self) -> &str {
        self.short_title.as_deref().unwrap_or(&self.title)
    }

    /// The fields every PDF keeps as strings of their own (metadata,
    /// running headers), by their key: held to
    /// [`crate::model::MAX_PDF_STRING_CHARS`].
    pub fn pdf_strings(&self) -> Vec<(&'static str, &str)> {
        let mut v = vec![
            ("title", self.title.as_str()),
            ("owner", self.owner.as_str()),
            ("classification", self.classification.as_str()),
            ("approver", self.approver.as_str()),
        ];
        if let Some(s) = &self.short_title {
            v.push(("short_title", s.as_str()));
        }
        if let Some(g) = &self.governed_by {
            v.push(("governed_by", g.as_str()));
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn v(s: &str) -> VersionNumber {
        s.parse().unwrap()
    }

    #[test]
    fn one_canonical_form_for_equality_hashing_and_order() {
        for (a, b) in [
            ("3", "3.0"),
            ("3.0", "3.0.0"),
            ("1.0", "01.0"),
            ("0", "0.0"),
        ] {
            assert_eq!(v(a), v(b), "{a} = {b}");
            assert_eq!(v(a).cmp(&v(b)), Ordering::Equal);
            let set: HashSet<VersionNumber> = [v(a), v(b)].into_iter().collect();
            assert_eq!(set.len(), 1, "{a} and {b} hash alike");
            assert_eq!(v(a).canonical(), v(b).canonical());
        }
        assert!(v("3") < v("3.0.1"));
        assert!(v("3.0.5") < v("3.1"));
        assert!(v("2.10") > v("2.9"));
        assert_eq!(v("3").next_minor(), v("3.1"));
        assert_eq!(v("03.00").to_string(), "03.00", "shown as written");
    }

    #[test]
    fn dates_round_trip_through_days_and_unix_time() {
        // Every day from 1900 to 2100: days() and from_unix() are inverse,
        // consecutive, and agree with the calendar's month lengths.
        let mut d = EffectiveDate::new(1900, 1, 1).unwrap();
        let mut prev = d.days() - 1;
        while d.year < 2100 {
            assert_eq!(d.days(), prev + 1, "{d}");
            assert_eq!(EffectiveDate::from_unix(d.days() * 86_400), Some(d));
            // Any second of the day is the same date.
            assert_eq!(
                EffectiveDate::from_unix(d.days() * 86_400 + 86_399),
                Some(d)
            );
            prev = d.days();
            d = d.add_days(1).unwrap();
        }
        assert_eq!(EffectiveDate::new(1970, 1, 1).unwrap().days(), 0);
        let d = |s: &str| s.parse::<EffectiveDate>().unwrap();
        assert_eq!(d("2024-02-28").add_days(1), Some(d("2024-02-29")));
        assert_eq!(d("2023-02-28").add_days(1), Some(d("2023-03-01")));
        assert_eq!(d("2100-02-28").add_days(1), Some(d("2100-03-01")));
        assert_eq!(d("2000-02-28").add_days(1), Some(d("2000-02-29")));
        assert_eq!(d("2024-07-19").add_days(-19), Some(d("2024-06-30")));
        assert_eq!(d("2024-07-19").long(), "19 July 2024");
        for bad in [
            "2024-02-30",
            "2023-02-29",
            "2024-13-01",
            "2024-00-10",
            "24-07-19",
            "2024-7-19",
        ] {
            assert!(bad.parse::<EffectiveDate>().is_err(), "{bad}");
        }
    }
}
