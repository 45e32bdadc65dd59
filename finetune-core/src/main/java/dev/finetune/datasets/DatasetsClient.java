package dev.finetune.datasets;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.Optional;

/**
 * {@code co.datasets()}: upload, read, list and delete datasets. {@code create} streams the upload in
 * (never whole in memory), records the dataset as {@code processing} and returns; validation runs in
 * the background ({@code co.wait(...)} waits for it). Request errors are
 * {@link dev.finetune.BadRequestException}s, unknown ids {@link dev.finetune.NotFoundException}s.
 * Lists keep the service's own {@code limit} / {@code offset} filters. Thread-safe.
 */
public interface DatasetsClient {
    /** The service's upload limit: 1.5 GiB per file. */
    long MAX_FILE_BYTES = 3L << 29;

    /** Uploads {@code data} (and the optional eval file) and starts validating it. */
    DatasetsCreateResponse create(Path data, Optional<Path> evalData, DatasetsCreateRequest request);

    DatasetsCreateResponse create(Path data, DatasetsCreateRequest request);

    /** Uploads from streams (read to the end, not closed). */
    DatasetsCreateResponse create(InputStream data, Optional<InputStream> evalData, DatasetsCreateRequest request);

    DatasetsGetResponse get(String id);

    DatasetsListResponse list();

    /** One page, newest first, after the request's filters. */
    DatasetsListResponse list(DatasetsListRequest request);

    /** Deletes every file of the dataset, the original upload included. */
    void delete(String id);
}
