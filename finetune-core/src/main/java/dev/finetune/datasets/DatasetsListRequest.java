package dev.finetune.datasets;

import dev.finetune.BadRequestException;
import java.time.Instant;
import java.util.Optional;

/**
 * Filters and paging for {@code list}: optional type and status filters, a creation-time window
 * ({@code before}/{@code after}, exclusive), {@code offset} rows skipped and at most {@code limit}
 * rows (1..1000, default 10) returned, newest first.
 */
public final class DatasetsListRequest {
    private final Optional<DatasetType> datasetType;
    private final Optional<ValidationStatus> validationStatus;
    private final Optional<Instant> before;
    private final Optional<Instant> after;
    private final int limit;
    private final int offset;

    private DatasetsListRequest(Builder b) {
        datasetType = Optional.ofNullable(b.datasetType);
        validationStatus = Optional.ofNullable(b.validationStatus);
        before = Optional.ofNullable(b.before);
        after = Optional.ofNullable(b.after);
        limit = b.limit;
        offset = b.offset;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Optional<DatasetType> datasetType() {
        return datasetType;
    }

    public Optional<ValidationStatus> validationStatus() {
        return validationStatus;
    }

    public Optional<Instant> before() {
        return before;
    }

    public Optional<Instant> after() {
        return after;
    }

    public int limit() {
        return limit;
    }

    public int offset() {
        return offset;
    }

    /** True when {@code d} passes the type, status and time filters (paging aside). */
    public boolean matches(Dataset d) {
        return datasetType.map(t -> t.equals(d.datasetType())).orElse(true)
                && validationStatus.map(s -> s.equals(d.validationStatus())).orElse(true)
                && before.map(b -> d.createdAt().isBefore(b)).orElse(true)
                && after.map(a -> d.createdAt().isAfter(a)).orElse(true);
    }

    public static final class Builder {
        private DatasetType datasetType;
        private ValidationStatus validationStatus;
        private Instant before;
        private Instant after;
        private int limit = 10;
        private int offset;

        public Builder datasetType(DatasetType t) {
            datasetType = t;
            return this;
        }

        public Builder validationStatus(ValidationStatus s) {
            validationStatus = s;
            return this;
        }

        public Builder before(Instant t) {
            before = t;
            return this;
        }

        public Builder after(Instant t) {
            after = t;
            return this;
        }

        public Builder limit(int n) {
            limit = n;
            return this;
        }

        public Builder offset(int n) {
            offset = n;
            return this;
        }

        public DatasetsListRequest build() {
            if (limit < 1 || limit > 1000) {
                throw new BadRequestException("limit: " + limit + " is out of range; allowed 1..1000");
            }
            if (offset < 0) {
                throw new BadRequestException("offset: " + offset + " is out of range; allowed 0 or more");
            }
            return new DatasetsListRequest(this);
        }
    }
}
