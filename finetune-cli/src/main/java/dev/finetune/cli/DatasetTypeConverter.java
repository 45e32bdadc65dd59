package dev.finetune.cli;

import dev.finetune.datasets.DatasetType;
import java.util.stream.Collectors;
import picocli.CommandLine;

/** {@code --type} values: the known wire names only (an unknown one is a usage error, exit 2). */
final class DatasetTypeConverter implements CommandLine.ITypeConverter<DatasetType> {
    @Override
    public DatasetType convert(String value) {
        DatasetType t = DatasetType.valueOf(value);
        if (!t.isKnown()) {
            throw new CommandLine.TypeConversionException("unknown dataset type '" + value + "'; one of: "
                    + DatasetType.known().stream().map(DatasetType::toString).collect(Collectors.joining(", ")));
        }
        return t;
    }
}
