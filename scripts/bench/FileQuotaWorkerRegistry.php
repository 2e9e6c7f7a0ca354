<?php

/**
 * @file
 * The bench's stand-in for the module's ExpirableQuotaWorkerRegistry: the benchmark has no
 * Drupal database, so the registrations live in one JSON file under flock(), with the same
 * rules (an entry counts until its expiry).
 */

declare(strict_types=1);

namespace EntraBench;

use Drupal\entra_provisioning\Provisioning\QuotaWorkerRegistryInterface;

final class FileQuotaWorkerRegistry implements QuotaWorkerRegistryInterface
{
    private string $file;

    public function __construct(string $dir)
    {
        $this->file = rtrim($dir, '/') . '/quota-workers.json';
    }

    public function register(string $id, int $ttlSeconds): void
    {
        $this->update(static function (array $entries) use ($id, $ttlSeconds): array {
            $entries[$id] = microtime(true) + $ttlSeconds;

            return $entries;
        });
    }

    public function count(): int
    {
        $now = microtime(true);

        return count(array_filter($this->update(static fn (array $e): array => $e), static fn (float $until): bool => $until > $now));
    }

    public function unregister(string $id): void
    {
        $this->update(static function (array $entries) use ($id): array {
            unset($entries[$id]);

            return $entries;
        });
    }

    /**
     * @param callable(array<string, float>): array<string, float> $change
     *
     * @return array<string, float>
     */
    private function update(callable $change): array
    {
        $handle = fopen($this->file, 'c+');
        if ($handle === false || !flock($handle, LOCK_EX)) {
            throw new \RuntimeException('Cannot lock ' . $this->file);
        }
        try {
            $entries = json_decode((string) stream_get_contents($handle), true);
            $entries = $change(is_array($entries) ? array_map('floatval', $entries) : []);
            ftruncate($handle, 0);
            rewind($handle);
            fwrite($handle, json_encode($entries, JSON_THROW_ON_ERROR));

            return $entries;
        } finally {
            flock($handle, LOCK_UN);
            fclose($handle);
        }
    }
}
