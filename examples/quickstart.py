"""Train a small network on two interleaving half-moons and report test accuracy.

Run: python examples/quickstart.py
"""

import mlpkit as mk


class PrintProgress(mk.Callback):
    """Print one line per epoch: the library itself never prints."""

    def on_epoch_end(self, epoch, logs):
        print(
            f"epoch {epoch + 1:3d}  loss {logs['loss']:.4f}  acc {logs['accuracy']:.4f}  "
            f"val_loss {logs['val_loss']:.4f}  val_acc {logs['val_accuracy']:.4f}",
            flush=True,
        )
        return False


def main() -> None:
    X, y = mk.datasets.make_moons(n_samples=2000, noise=0.1, seed=0)
    X_train, X_test, y_train, y_test = mk.datasets.train_test_split(X, y, test_size=0.5, seed=0)
    scaler = mk.datasets.Standardizer().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

    net = mk.mlp([2, 16, 16, 2], hidden="tanh", output="softmax", seed=0)
    print(net.summary())
    net.fit(
        X_train,
        y_train,
        loss="cross_entropy",
        optimizer=mk.SGD(learning_rate=0.05, momentum=0.9),
        epochs=30,
        batch_size=32,
        validation=(X_test, y_test),
        callbacks=[PrintProgress()],
        seed=0,
    )
    result = net.evaluate(X_test, y_test)
    print(f"test accuracy: {result['accuracy']:.2%} on {len(y_test)} points")


if __name__ == "__main__":
    main()
