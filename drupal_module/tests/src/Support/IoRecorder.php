<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Support;

/**
 * Records what a Drush command prints through io() (the subset of Symfony's
 * SymfonyStyle the module's commands use), in order.
 *
 * createProgressBar() returns a stand-in of Symfony's ProgressBar (a final
 * class) that keeps its step and maximum as ProgressBar 6.4/7.0 does
 * (Helper/ProgressBar.php: setMaxSteps(), start(), advance(),
 * setProgress(), finish(), clear()) and records each call as a 'progress'
 * entry of $calls, so a test can tell whether the bar was finished and
 * cleared before the first table. The bar and getErrorStyle() write to
 * stderr, everything else to stdout, as with Drush's ConsoleOutput.
 */
final class IoRecorder {

  /**
   * @var list<array{0: string, 1: mixed}>
   */
  public array $calls = [];

  public int $progress = 0;

  public ?int $progressMax = NULL;

  public bool $progressFinished = FALSE;

  public bool $progressCleared = FALSE;

  /**
   * Whether stderr (where the bar is drawn) supports ANSI: a terminal.
   * Without it ProgressBar cannot overwrite, and clear() does nothing.
   */
  public bool $errorDecorated = TRUE;

  /**
   * The bar of progressStart() .. progressFinish().
   */
  private ?object $bar = NULL;

  /**
   * @param string|list<string> $message
   */
  public function error($message): void {
    $this->calls[] = ['error', $message];
  }

  /**
   * @param string|list<string> $message
   */
  public function success($message): void {
    $this->calls[] = ['success', $message];
  }

  /**
   * @param string|list<string> $message
   */
  public function warning($message): void {
    $this->calls[] = ['warning', $message];
  }

  /**
   * @param string|list<string> $message
   */
  public function note($message): void {
    $this->calls[] = ['note', $message];
  }

  /**
   * @param string|iterable<string> $messages
   */
  public function writeln($messages): void {
    $this->calls[] = ['writeln', $messages];
  }

  /**
   * @param list<mixed> $headers
   * @param list<list<mixed>> $rows
   */
  public function table(array $headers, array $rows): void {
    $this->calls[] = ['table', ['headers' => $headers, 'rows' => $rows]];
  }

  /**
   * SymfonyStyle::progressStart(): createProgressBar($max), then start().
   */
  public function progressStart(int $max = 0): void {
    $this->bar = $this->createProgressBar($max);
    $this->bar->start();
  }

  public function progressAdvance(int $step = 1): void {
    if ($this->bar === NULL) {
      throw new \RuntimeException('The ProgressBar is not started.');
    }
    $this->bar->advance($step);
  }

  /**
   * SymfonyStyle::progressFinish(): finish(), two new lines on stdout, and
   * the bar stays on the screen (no clear()).
   */
  public function progressFinish(): void {
    if ($this->bar === NULL) {
      throw new \RuntimeException('The ProgressBar is not started.');
    }
    $this->bar->finish();
    $this->newLine(2);
    $this->bar = NULL;
  }

  /**
   * OutputStyle::newLine(): on stdout.
   */
  public function newLine(int $count = 1): void {
    $this->calls[] = ['newLine', str_repeat(PHP_EOL, $count)];
  }

  /**
   * SymfonyStyle::createProgressBar(): a bar on stderr, not started.
   */
  public function createProgressBar(int $max = 0): object {
    $this->progressMax = max(0, $max);
    $this->progress = 0;
    $this->progressFinished = FALSE;
    $this->progressCleared = FALSE;

    return new class ($this, $max) {
      private IoRecorder $io;

      private int $max = 0;

      private int $step = 0;

      public function __construct(IoRecorder $io, int $max) {
        $this->io = $io;
        $this->setMaxSteps($max);
      }

      public function setMaxSteps(int $max): void {
        $this->max = max(0, $max);
        $this->record('setMaxSteps');
      }

      public function getMaxSteps(): int {
        return $this->max;
      }

      public function getProgress(): int {
        return $this->step;
      }

      public function start(?int $max = NULL, int $startAt = 0): void {
        $this->step = $startAt;
        if ($startAt > 0) {
          $this->setProgress($startAt);
        }
        if ($max !== NULL) {
          $this->max = max(0, $max);
        }
        $this->record('start');
      }

      public function advance(int $step = 1): void {
        $this->setProgress($this->step + $step);
        $this->record('advance');
      }

      public function setProgress(int $step): void {
        if ($this->max && $step > $this->max) {
          $this->max = $step;
        }
        elseif ($step < 0) {
          $step = 0;
        }
        $this->step = $step;
      }

      public function finish(): void {
        if (!$this->max) {
          $this->max = $this->step;
        }
        $this->setProgress($this->max);
        $this->io->progressFinished = TRUE;
        $this->record('finish');
      }

      public function clear(): void {
        // Without ANSI, ProgressBar::clear() returns at once.
        if ($this->io->errorDecorated) {
          $this->io->progressCleared = TRUE;
        }
        $this->record('clear');
      }

      private function record(string $event): void {
        $this->io->progress = $this->step;
        $this->io->progressMax = $this->max;
        $this->io->calls[] = ['progress', ['event' => $event, 'step' => $this->step, 'max' => $this->max]];
      }
    };
  }

  /**
   * SymfonyStyle::getErrorStyle(): the same style on stderr.
   */
  public function getErrorStyle(): object {
    return new class ($this) {
      private IoRecorder $io;

      public function __construct(IoRecorder $io) {
        $this->io = $io;
      }

      public function isDecorated(): bool {
        return $this->io->errorDecorated;
      }

      public function newLine(int $count = 1): void {
        $this->io->calls[] = ['stderr', str_repeat(PHP_EOL, $count)];
      }
    };
  }

  /**
   * The position in $calls of the first call of one kind, or null.
   */
  public function firstIndexOf(string $kind, ?string $event = NULL): ?int {
    foreach ($this->calls as $i => $call) {
      if ($call[0] === $kind && ($event === NULL || (is_array($call[1]) && ($call[1]['event'] ?? NULL) === $event))) {
        return $i;
      }
    }

    return NULL;
  }

  /**
   * Everything printed, as one string.
   */
  public function text(): string {
    return (string) json_encode($this->calls, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PARTIAL_OUTPUT_ON_ERROR);
  }

  /**
   * The calls of one kind (error, table, ...), their arguments only.
   *
   * @return list<mixed>
   */
  public function of(string $kind): array {
    return array_values(array_map(static fn (array $c) => $c[1], array_filter($this->calls, static fn (array $c): bool => $c[0] === $kind)));
  }

}
