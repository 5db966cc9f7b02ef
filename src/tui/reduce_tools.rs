//! How tool-call events change the UI: a cell per call, its approval, its result.

use super::app::App;
use super::cells::CellKind;
use super::tool_cell::ToolCell;
use crate::protocol::{ApprovalRequested, ToolCallFinished, ToolCallRunning, ToolCallStarted};

impl App {
    /// `Event::ToolCallStarted`: text streamed before the call belongs above it.
    pub(super) fn on_tool_started(&mut self, started: ToolCallStarted) {
        if let Some(cell) = self.transcript.streaming_reply(started.turn_id) {
            if let CellKind::Assistant { streaming, .. } = &mut cell.kind {
                *streaming = false;
            }
            cell.invalidate();
        }
        let mut cell = ToolCell::started(started.call_id, started.tool, started.summary);
        cell.expanded = self.tools_expanded;
        self.transcript.push(CellKind::Tool(cell));
    }

    /// `Event::ApprovalRequested`: the call's cell waits; the overlay queues the request.
    pub(super) fn on_approval_requested(&mut self, request: ApprovalRequested) {
        self.update_tool(&request.call_id, |t| t.awaiting_approval = true);
        self.approvals.push(request);
        self.transcript.end();
    }

    /// `Event::ToolCallRunning`.
    pub(super) fn on_tool_running(&mut self, running: ToolCallRunning) {
        self.update_tool(&running.call_id, |t| {
            t.awaiting_approval = false;
            t.running = true;
        });
    }

    /// `Event::ToolCallFinished`: the call's cell gets its status and output.
    pub(super) fn on_tool_finished(&mut self, finished: ToolCallFinished) {
        self.update_tool(&finished.call_id, |t| {
            t.awaiting_approval = false;
            t.status = Some(finished.status);
            t.decided_by = finished.decided_by;
            t.output = finished.output;
            t.exit_code = finished.exit_code;
            t.duration_ms = finished.duration_ms;
        });
    }

    /// Change the (latest) tool cell of `call_id` and lay it out again.
    fn update_tool(&mut self, call_id: &str, change: impl FnOnce(&mut ToolCell)) {
        let found = self
            .transcript
            .cells
            .iter_mut()
            .rev()
            .find(|c| matches!(&c.kind, CellKind::Tool(t) if t.call_id == call_id));
        if let Some(cell) = found {
            if let CellKind::Tool(t) = &mut cell.kind {
                change(t);
            }
            cell.invalidate();
        }
    }
}
