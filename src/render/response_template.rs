//! The response template of a consultation ("Attachment 2"): a Word file
//! that respondents fill in and return.
//!
//! It is a keyed layout: every answer is the second cell of a table row
//! whose first cell is the field's label ([`Field::label`]). Tables and
//! their text survive whatever a respondent's word processor does (Word,
//! LibreOffice, a re-save, changed formatting, extra paragraphs), where
//! content controls do not always, so `source::response` reads a returned
//! file back by its labels. The consultation's reference (`emrr@3.0`) is in
//! the first row and in a custom document property, so that a file that is
//! not this consultation's template is recognised as such.

use docx_rs::{
    Docx, HeightRule, LineSpacing, Paragraph, Run, RunFonts, Shading, ShdType, Style as WordStyle,
    StyleType, Table, TableCell, TableRow, WidthType,
};

use super::text::xml_safe;
use crate::error::{Error, Result};
use crate::model::Document;
use crate::model::consultation::{ConsultationFile, Field};

/// The custom document property naming the consultation.
pub const REFERENCE_PROPERTY: &str = "regdoc-consultation";

/// The template of `consultation` on a draft of `document`, as .docx bytes.
pub fn response_template(document: &Document, consultation: &ConsultationFile) -> Result<Vec<u8>> {
    let meta = &consultation.meta;
    let draft = document.version(&meta.consults_on.version).ok_or_else(|| {
        Error::in_file(
            &consultation.path,
            format!(
                "cannot build the response template: no version {}",
                meta.consults_on
            ),
        )
    })?;
    let dates = draft.meta.consultation.as_ref().ok_or_else(|| {
        Error::in_file(
            &consultation.path,
            "cannot build the response template: the draft has no consultation dates",
        )
    })?;
    let t = |s: &str| xml_safe(s);
    let title = meta
        .attachments
        .iter()
        .find(|a| a.content == crate::model::consultation::AttachmentContent::ResponseTemplate)
        .map_or_else(|| "Response template".to_string(), |a| a.full_title());
    let by = match &meta.respond_by_time {
        Some(time) => format!("{time} on {}", dates.closes.long()),
        None => dates.closes.long(),
    };
    let mut doc = Docx::new()
        .add_style(
            WordStyle::new("Title", StyleType::Paragraph)
                .name("Title")
                .size(36)
                .bold(),
        )
        .add_style(
            WordStyle::new("Heading1", StyleType::Paragraph)
                .name("Heading 1")
                .size(28)
                .bold()
                .line_spacing(LineSpacing::new().before(360).after(120)),
        )
        .add_style(
            WordStyle::new("Normal", StyleType::Paragraph)
                .name("Normal")
                .line_spacing(LineSpacing::new().after(120)),
        )
        .add_style(
            WordStyle::new("Hint", StyleType::Paragraph)
                .name("Hint")
                .size(18)
                .italic()
                .color("555555"),
        )
        .add_style(
            WordStyle::new("Label", StyleType::Paragraph)
                .name("Field Label")
                .bold()
                .fonts(RunFonts::new().ascii("Arial").hi_ansi("Arial")),
        )
        // Same input, same bytes: dated by the consultation, not the clock.
        .created_at(&format!("{}T00:00:00Z", dates.published))
        .updated_at(&format!("{}T00:00:00Z", dates.published))
        .custom_property(REFERENCE_PROPERTY, t(&meta.consults_on.to_string()))
        .add_paragraph(para("Title", &t(&title)))
        .add_paragraph(para("", &t(&meta.title)))
        .add_paragraph(para(
            "",
            &t(&format!(
                "Please return this form by {by} to {}. Type each answer in the right-hand column; leave a question blank if you have no view.",
                meta.respond_to
            )),
        ));
    // Rationales get room to write in; the row grows with the text.
    let row = |field: &Field, value: &str| {
        let hint = field.hint(meta);
        let tall = matches!(field, Field::Rationale(_) | Field::ConfidentialReason);
        let mut label = TableCell::new()
            .width(3200, WidthType::Dxa)
            .shading(Shading::new().shd_type(ShdType::Clear).fill("EEEEEE"))
            .add_paragraph(para("Label", &t(&field.label())));
        if let Some(h) = hint {
            label = label.add_paragraph(para("Hint", &t(&h)));
        }
        let r = TableRow::new(vec![
            label,
            TableCell::new()
                .width(5800, WidthType::Dxa)
                .add_paragraph(para("", &t(value))),
        ]);
        if tall {
            r.row_height(1700.0).height_rule(HeightRule::AtLeast)
        } else {
            r.row_height(500.0).height_rule(HeightRule::AtLeast)
        }
    };
    let table = |rows: Vec<TableRow>| Table::new(rows).set_grid(vec![3200, 5800]);
    doc = doc.add_paragraph(para("Heading1", "Respondent details"));
    doc = doc.add_table(table(vec![
        row(&Field::Reference, &meta.consults_on.to_string()),
        row(&Field::Organisation, ""),
        row(&Field::Contact, ""),
        row(&Field::PartyCategory, ""),
    ]));
    doc = doc
        .add_paragraph(para("Heading1", "Confidentiality"))
        .add_paragraph(para(
            "",
            "Responses may be published. Say whether you want none, all or parts of your response treated as confidential, and why; for parts, answer \"yes\" to each question's \"confidential?\" below.",
        ))
        .add_table(table(vec![
            row(&Field::Confidentiality, ""),
            row(&Field::ConfidentialReason, ""),
        ]));
    for q in &meta.questions {
        doc = doc
            .add_paragraph(para("Heading1", &t(&q.id)))
            .add_paragraph(para("", &t(&q.text)));
        let mut rows = Vec::new();
        for field in Field::all(meta) {
            let ours = match &field {
                Field::View(id) | Field::Rationale(id) | Field::Confidential(id) => *id == q.id,
                _ => false,
            };
            if ours {
                rows.push(row(&field, ""));
            }
        }
        doc = doc.add_table(table(rows));
    }
    let mut buf = std::io::Cursor::new(Vec::new());
    doc.build()
        .pack(&mut buf)
        .map_err(|e| Error::input(format!("cannot write the response template: {e}")))?;
    Ok(buf.into_inner())
}

/// A paragraph of one run, in `style` (none for "").
fn para(style: &str, text: &str) -> Paragraph {
    let p = Paragraph::new().add_run(Run::new().add_text(text));
    if style.is_empty() { p } else { p.style(style) }
}
