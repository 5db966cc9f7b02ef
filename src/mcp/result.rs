//! An MCP tool result as text: text blocks as they are, images and audio as a placeholder,
//! resources as links (embedded text resources inline), structured content as JSON.

use rmcp::model::{CallToolResult, ContentBlock, ResourceContents};

/// The result's text and whether the server marked it as an error.
pub fn render(result: &CallToolResult) -> (String, bool) {
    let mut parts: Vec<String> = result.content.iter().map(block_text).collect();
    if parts.iter().all(|p| p.trim().is_empty())
        && let Some(structured) = &result.structured_content
    {
        parts = vec![structured.to_string()];
    }
    let text = parts.join("\n");
    (text, result.is_error.unwrap_or(false))
}

fn block_text(block: &ContentBlock) -> String {
    match block {
        ContentBlock::Text(t) => t.text.clone(),
        ContentBlock::Image(i) => format!(
            "[image: {}, {} bytes — not shown to the model]",
            i.mime_type,
            i.data.len() * 3 / 4
        ),
        ContentBlock::Audio(a) => format!(
            "[audio: {}, {} bytes — not shown to the model]",
            a.mime_type,
            a.data.len() * 3 / 4
        ),
        ContentBlock::Resource(r) => match &r.resource {
            ResourceContents::TextResourceContents { uri, text, .. } => {
                format!("[resource {uri}]\n{text}")
            }
            ResourceContents::BlobResourceContents { uri, mime_type, .. } => format!(
                "[resource {uri} ({}) — binary, not shown]",
                mime_type.as_deref().unwrap_or("unknown type")
            ),
            #[allow(unreachable_patterns)]
            _ => "[resource of a kind pincer does not show]".to_string(),
        },
        ContentBlock::ResourceLink(link) => {
            format!("[link: {} — {}]", link.name, link.uri)
        }
        #[allow(unreachable_patterns)]
        _ => "[content of a kind pincer does not show]".to_string(),
    }
}
