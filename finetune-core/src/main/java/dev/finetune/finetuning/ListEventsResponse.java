package dev.finetune.finetuning;

import java.util.List;
import java.util.Optional;

/** One page of a fine-tune's events, newest first. */
public record ListEventsResponse(List<Event> events, Optional<String> nextPageToken, int totalSize) {
    public ListEventsResponse {
        events = List.copyOf(events);
        nextPageToken = nextPageToken == null ? Optional.empty() : nextPageToken;
    }
}
