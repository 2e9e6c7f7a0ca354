<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Support;

/**
 * Records what a Drush command prints through io() (the subset of Symfony's
 * StyleInterface the module's commands use).
 */
final class IoRecorder
{
    /**
     * @var list<array{0: string, 1: mixed}>
     */
    public array $calls = [];

    public int $progress = 0;

    public ?int $progressMax = null;

    public bool $progressFinished = false;

    /**
     * @param string|list<string> $message
     */
    public function error($message): void
    {
        $this->calls[] = ['error', $message];
    }

    /**
     * @param string|list<string> $message
     */
    public function success($message): void
    {
        $this->calls[] = ['success', $message];
    }

    /**
     * @param string|list<string> $message
     */
    public function warning($message): void
    {
        $this->calls[] = ['warning', $message];
    }

    /**
     * @param string|list<string> $message
     */
    public function note($message): void
    {
        $this->calls[] = ['note', $message];
    }

    /**
     * @param string|iterable<string> $messages
     */
    public function writeln($messages): void
    {
        $this->calls[] = ['writeln', $messages];
    }

    /**
     * @param list<mixed> $headers
     * @param list<list<mixed>> $rows
     */
    public function table(array $headers, array $rows): void
    {
        $this->calls[] = ['table', ['headers' => $headers, 'rows' => $rows]];
    }

    public function progressStart(int $max = 0): void
    {
        $this->progressMax = $max;
        $this->progress = 0;
    }

    public function progressAdvance(int $step = 1): void
    {
        $this->progress += $step;
    }

    public function progressFinish(): void
    {
        $this->progressFinished = true;
    }

    /**
     * Everything printed, as one string.
     */
    public function text(): string
    {
        return (string) json_encode($this->calls, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PARTIAL_OUTPUT_ON_ERROR);
    }

    /**
     * The calls of one kind (error, table, ...), their arguments only.
     *
     * @return list<mixed>
     */
    public function of(string $kind): array
    {
        return array_values(array_map(static fn (array $c) => $c[1], array_filter($this->calls, static fn (array $c): bool => $c[0] === $kind)));
    }
}
