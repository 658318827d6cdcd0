"""The Responses API (``POST /v1/responses``): chained turns, input items, and how a model
run ends when it does not complete (``response.incomplete``, ``response.failed``)."""

from __future__ import annotations

from chatkit.knowledge.cause import Cause

ROWS: tuple[Cause, ...] = (
    Cause("previous_response_not_found", "integration",
          "previous_response_id names a response the API does not have: it was created with "
          "store=false, under another project, organization or Azure resource, or it was "
          "deleted or has expired ({message})",
          "chain only from responses created with store=true (the default) by the same project "
          "and key; otherwise start a new chain without previous_response_id and send the "
          "conversation itself in input",
          False, "previous response not found"),
    Cause("invalid_input_item", "integration",
          "an item of input has a type the endpoint does not accept ({message})",
          "give every item of {param} a type: 'message' (with role and content), "
          "'function_call_output' (with call_id and output), ...; OpenAI infers 'message' for "
          "an item with only a role, but Azure AI Foundry and strict gateways do not",
          False, "invalid input item"),
    Cause("reasoning_item_orphaned", "integration",
          "a reasoning item was sent back without the item that followed it, or an output item "
          "without its reasoning item ({message})",
          "send reasoning items back together with the message or function call that came "
          "after them, or leave both out; with previous_response_id earlier output need not be "
          "sent again",
          False, "reasoning item without its pair"),
    Cause("response_incomplete", "integration",
          "the answer stopped at its token limit before it was finished (max_output_tokens; "
          "max_tokens or max_completion_tokens and finish_reason length on chat completions); "
          "reasoning models spend output tokens on reasoning before any text",
          "raise the token limit, lower reasoning.effort, or ask for a shorter answer; the "
          "partial text is in the response, and incomplete_details.reason (finish_reason) "
          "says why",
          False, "answer cut at the token limit"),
    Cause("response_content_filter", "integration",
          "the content filter stopped the answer (incomplete_details.reason or finish_reason "
          "content_filter)",
          "rephrase the input; on Azure OpenAI the deployment's content filter configuration "
          "decides what is stopped; the partial output is in the response",
          False, "answer stopped by the content filter"),
    Cause("response_failed", "service",
          "the model run failed after the answer had begun (response.failed): {message}",
          "retry the request: its status was already 200, so clients do not retry it for you; "
          "error.code in the event says what failed",
          True, "the response failed"),
)
