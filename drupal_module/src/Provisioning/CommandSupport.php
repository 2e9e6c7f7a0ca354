<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

/**
 * The small decisions of the Drush commands (option parsing, exit codes,
 * what a row shows), outside the Drush class so they are tested without
 * Drush.
 */
final class CommandSupport {

  public const EXIT_SUCCESS = 0;
  public const EXIT_FAILURE = 1;

  /**
   * The --chunk option: null when not given.
   *
   * @param mixed $value
   *
   * @throws \InvalidArgumentException
   *   When it is not a positive whole number (BulkSync::chunkSize() checks
   *   the library's limit).
   */
  public static function chunkOption($value): ?int {
    if ($value === NULL || $value === '' || $value === FALSE || $value === TRUE) {
      return NULL;
    }
    $text = is_scalar($value) ? trim((string) $value) : '';
    if (!ctype_digit($text) || (int) $text < 1) {
      throw new \InvalidArgumentException(sprintf('--chunk must be a positive whole number, got "%s".', is_scalar($value) ? (string) $value : get_debug_type($value)));
    }

    return (int) $text;
  }

  /**
   * An ID option (--approve, --reject): null when not given.
   *
   * @param mixed $value
   *
   * @throws \InvalidArgumentException
   *   When it is not a positive whole number.
   */
  public static function idOption($value, string $name): ?int {
    if ($value === NULL || $value === FALSE || $value === '') {
      return NULL;
    }
    $text = is_scalar($value) ? trim((string) $value) : '';
    if (!ctype_digit($text) || (int) $text < 1) {
      throw new \InvalidArgumentException(sprintf('--%s must be the ID of a match (a positive whole number, see "drush entra:matches"), got "%s".', $name, is_scalar($value) ? (string) $value : get_debug_type($value)));
    }

    return (int) $text;
  }

  /**
   * The pending matches as table rows.
   *
   * @param list<PendingMatch> $matches
   *
   * @return list<list<string>>
   */
  public static function matchRows(array $matches): array {
    $rows = [];
    foreach ($matches as $match) {
      $candidate = $match->candidate;
      $rows[] = [
        (string) $match->id,
        $match->direction === ModuleSettings::DIRECTION_DRUPAL_TO_ENTRA ? 'provisioning' : 'import',
        (string) $match->uid,
        $match->entraName(),
        (string) ($candidate['displayName'] ?? '-'),
        (string) ($candidate['mail'] ?? '-'),
        $match->matchedOn(),
        implode('; ', $match->reasons),
      ];
    }

    return $rows;
  }

  /**
   * entra:test fails when the connection fails, and also when it works but
   * the application lacks a permission the chosen directions need.
   *
   * @param array<string, mixed> $record
   *   Provisioner::testConnection().
   */
  public static function testExitCode(array $record): int {
    if (empty($record['ok'])) {
      return self::EXIT_FAILURE;
    }

    return is_array($record['missing_permissions'] ?? NULL) && $record['missing_permissions'] !== [] ? self::EXIT_FAILURE : self::EXIT_SUCCESS;
  }

  /**
   * entra:status fails when a line of the report is an error.
   *
   * @param list<array{severity: string}> $lines
   */
  public static function statusExitCode(array $lines): int {
    return RequirementsEvaluator::worst($lines) === RequirementsEvaluator::ERROR ? self::EXIT_FAILURE : self::EXIT_SUCCESS;
  }

  /**
   * One preview (BulkSync::preview()) as text: the body that would be sent,
   * or the cause it cannot be.
   *
   * @param array<string, mixed> $preview
   */
  public static function previewText(array $preview, ResultFormatter $formatter): string {
    $head = sprintf('uid %d (%s)', (int) ($preview['uid'] ?? 0), (string) ($preview['name'] ?? '?'));
    if (!empty($preview['linked'])) {
      $head .= sprintf(': linked to %s, a sync updates the properties that differ from', (string) $preview['linked']);
    }
    if (empty($preview['ok'])) {
      return $head . ': ' . $formatter->summary(is_array($preview['error'] ?? NULL) ? $preview['error'] : []);
    }

    return $head . "\n" . (string) json_encode($preview['body'] ?? NULL, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
  }

}
