package io.ecb.cluster;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.DataSerializable;
import io.ecb.engine.StreamLog;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** What {@link StreamProcessors} answer, as the engine's own types that Hazelcast can write field by field. */
final class StreamResults {

  private StreamResults() {
  }

  /** {@link StreamLog.Position} as it crosses the cluster. */
  static final class Position extends StreamLog.Position implements DataSerializable {

    Position(long offset, String epoch) {
      super(offset, epoch);
    }

    private Position() {
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeLong(offset);
      out.writeString(epoch);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      offset = in.readLong();
      epoch = in.readString();
    }
  }

  /** {@link StreamLog.Appended} as it crosses the cluster. */
  static final class Appended extends StreamLog.Appended implements DataSerializable {

    Appended(long offset, String epoch, String json) {
      super(offset, epoch, json);
    }

    private Appended() {
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      out.writeLong(offset);
      out.writeString(epoch);
      out.writeString(json);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      offset = in.readLong();
      epoch = in.readString();
      json = in.readString();
    }
  }

  /** {@link StreamLog.Recovery} as it crosses the cluster. */
  static final class Recovery extends StreamLog.Recovery implements DataSerializable {

    Recovery(Position position, boolean recovered, List<String> missed) {
      super(position, recovered, missed);
    }

    private Recovery() {
    }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
      ((Position) position).writeData(out);
      out.writeBoolean(recovered);
      out.writeInt(missed.size());
      for (String json : missed) out.writeString(json);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
      Position p = new Position();
      p.readData(in);
      position = p;
      recovered = in.readBoolean();
      int n = in.readInt();
      missed = new ArrayList<>(n);
      for (int i = 0; i < n; i++) missed.add(in.readString());
    }
  }
}
