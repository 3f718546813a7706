//! `run --parquet`: a run's tables as Parquet files with typed columns
//! (INT64, DOUBLE, UTF8 strings, BOOLEAN; every column nullable), converted
//! from the staged CSV text by the column table of [`super::schema`], so the
//! two formats can never disagree on a value or a type.
//!
//! Rows go in groups of [`ROW_GROUP`], so memory stays bounded whatever the
//! size of `calls.csv`.

use std::io::{self, Read, Write};
use std::sync::Arc;

use parquet::basic::Compression;
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, DoubleType, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;

use super::schema::{Kind, Table, MISSING};

/// Rows per row group: ~10 MB of calls in memory at most.
const ROW_GROUP: usize = 65_536;

/// One column's values of the current row group, and which are present.
enum Values {
    Int(Vec<i64>),
    Num(Vec<f64>),
    Text(Vec<ByteArray>),
    Bool(Vec<bool>),
}

fn parquet_error(e: parquet::errors::ParquetError) -> io::Error {
    io::Error::other(e)
}

fn schema_of(table: &Table) -> Result<Type, parquet::errors::ParquetError> {
    use parquet::basic::{LogicalType, Repetition, Type as Physical};
    let fields = table
        .columns
        .iter()
        .map(|c| {
            let (physical, logical) = match c.kind {
                Kind::Integer => (Physical::INT64, None),
                Kind::Number => (Physical::DOUBLE, None),
                Kind::String => (Physical::BYTE_ARRAY, Some(LogicalType::String)),
                Kind::Boolean => (Physical::BOOLEAN, None),
            };
            Type::primitive_type_builder(c.name, physical)
                .with_repetition(Repetition::OPTIONAL)
                .with_logical_type(logical)
                .build()
                .map(Arc::new)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Type::group_type_builder(table.file.trim_end_matches(".csv"))
        .with_fields(fields)
        .build()
}

/// Converts the CSV text of `table` read from `csv` into Parquet on `out`.
/// The CSV was written by this program, so a cell that does not parse as
/// its declared type is an internal error.
pub fn csv_to_parquet(table: &Table, csv: impl Read, out: impl Write + Send) -> io::Result<()> {
    let schema = Arc::new(schema_of(table).map_err(parquet_error)?);
    let props = Arc::new(
        WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_created_by(format!("telsim {}", env!("CARGO_PKG_VERSION")))
            .build(),
    );
    let mut writer = SerializedFileWriter::new(out, schema, props).map_err(parquet_error)?;
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(csv);
    let header = reader.headers().map_err(io::Error::other)?.clone();
    let names: Vec<&str> = table.columns.iter().map(|c| c.name).collect();
    if header.iter().collect::<Vec<_>>() != names {
        return Err(io::Error::other(format!(
            "{}: header does not match its schema",
            table.file
        )));
    }
    let fresh = || -> Vec<(Values, Vec<i16>)> {
        table
            .columns
            .iter()
            .map(|c| {
                let v = match c.kind {
                    Kind::Integer => Values::Int(Vec::new()),
                    Kind::Number => Values::Num(Vec::new()),
                    Kind::String => Values::Text(Vec::new()),
                    Kind::Boolean => Values::Bool(Vec::new()),
                };
                (v, Vec::new())
            })
            .collect()
    };
    let mut cols = fresh();
    let mut rows = 0usize;
    let mut record = csv::StringRecord::new();
    let mut line = 1u64;
    loop {
        let more = reader.read_record(&mut record).map_err(io::Error::other)?;
        if more {
            line += 1;
            for ((values, defs), cell) in cols.iter_mut().zip(record.iter()) {
                if MISSING.contains(&cell) {
                    defs.push(0);
                    continue;
                }
                let bad = || {
                    io::Error::other(format!(
                        "{} line {line}: {cell:?} does not fit its column type",
                        table.file
                    ))
                };
                match values {
                    Values::Int(v) => v.push(cell.parse().map_err(|_| bad())?),
                    Values::Num(v) => v.push(cell.parse().map_err(|_| bad())?),
                    Values::Text(v) => v.push(ByteArray::from(cell)),
                    Values::Bool(v) => v.push(match cell {
                        "true" => true,
                        "false" => false,
                        _ => return Err(bad()),
                    }),
                }
                defs.push(1);
            }
            rows += 1;
        }
        if rows == ROW_GROUP || (!more && rows > 0) {
            let mut group = writer.next_row_group().map_err(parquet_error)?;
            for (values, defs) in std::mem::replace(&mut cols, fresh()) {
                let mut col = group
                    .next_column()
                    .map_err(parquet_error)?
                    .expect("a writer per schema column");
                let written = match values {
                    Values::Int(v) => col.typed::<Int64Type>().write_batch(&v, Some(&defs), None),
                    Values::Num(v) => col.typed::<DoubleType>().write_batch(&v, Some(&defs), None),
                    Values::Text(v) => {
                        col.typed::<ByteArrayType>()
                            .write_batch(&v, Some(&defs), None)
                    }
                    Values::Bool(v) => col.typed::<BoolType>().write_batch(&v, Some(&defs), None),
                };
                written.map_err(parquet_error)?;
                col.close().map_err(parquet_error)?;
            }
            group.close().map_err(parquet_error)?;
            rows = 0;
        }
        if !more {
            break;
        }
    }
    writer.close().map_err(parquet_error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::schema::LINKS;
    use super::*;
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::Field;

    /// What goes in comes back typed: integers, floats, text, booleans and
    /// missing cells (both markers) as nulls.
    #[test]
    fn csv_round_trips_through_parquet_with_types() {
        let csv = "replication,interval_start_s,interval_end_s,link,a,b,capacity_mbps,failed,mean_flows,max_flows,mean_load_mbps,max_load_mbps,utilisation\n\
                   0,0.000000,900.000000,a-b,a,b,100.0,false,0.5,1,0.04,0.08,0.0004\n\
                   1,900.000000,1800.000000,\"x,y\",x,-,,true,2.0,3,1.5,2.5,\n";
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("links.parquet");
        csv_to_parquet(
            &LINKS,
            csv.as_bytes(),
            std::fs::File::create(&path).unwrap(),
        )
        .unwrap();
        let reader = SerializedFileReader::new(std::fs::File::open(&path).unwrap()).unwrap();
        assert_eq!(reader.metadata().file_metadata().num_rows(), 2);
        let rows: Vec<_> = reader
            .get_row_iter(None)
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        let cell = |r: usize, name: &str| {
            rows[r]
                .get_column_iter()
                .find(|(n, _)| n.as_str() == name)
                .map(|(_, f)| f.clone())
                .unwrap()
        };
        assert_eq!(cell(0, "replication"), Field::Long(0));
        assert_eq!(cell(1, "interval_end_s"), Field::Double(1800.0));
        assert_eq!(cell(1, "link"), Field::Str("x,y".into()));
        assert_eq!(cell(1, "b"), Field::Null);
        assert_eq!(cell(1, "capacity_mbps"), Field::Null);
        assert_eq!(cell(1, "failed"), Field::Bool(true));
        assert_eq!(cell(0, "max_flows"), Field::Long(1));
        assert_eq!(cell(1, "utilisation"), Field::Null);
    }

    #[test]
    fn a_cell_of_the_wrong_type_is_refused() {
        let csv = "replication,interval_start_s,interval_end_s,link,a,b,capacity_mbps,failed,mean_flows,max_flows,mean_load_mbps,max_load_mbps,utilisation\n\
                   zero,0.0,1.0,a-b,a,b,1.0,false,0.5,1,0.04,0.08,0.0004\n";
        let err = csv_to_parquet(&LINKS, csv.as_bytes(), Vec::new()).unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
    }
}
