<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

/**
 * A match between a Drupal account and an Entra user that nobody has linked:
 * proposed by provisioning (a create met an existing Entra account) or by the
 * import (an Entra user shares the mail or name of a Drupal account).
 *
 * "pending" waits for an admin (approve links, reject forgets); "rejected"
 * keeps the import and provisioning from proposing the same pair again;
 * "refused" records a pair the library's rules never allow (uid 1, an Entra
 * user linked to another account), so it is logged once, not every round.
 */
final class PendingMatch {

  public const STATUS_PENDING = 'pending';
  public const STATUS_REJECTED = 'rejected';
  public const STATUS_REFUSED = 'refused';

  public const STATUSES = [self::STATUS_PENDING, self::STATUS_REJECTED, self::STATUS_REFUSED];

  /**
   * Why it was not linked automatically (from the library's decision).
   *
   * @var list<string>
   */
  public readonly array $reasons;

  /**
   * @param array<string, mixed> $candidate
   * @param array<string, mixed> $values
   * @param list<string> $reasons
   */
  public function __construct(
    public readonly int $id,
    /**
     * ModuleSettings::DIRECTION_DRUPAL_TO_ENTRA or DIRECTION_ENTRA_TO_DRUPAL:
     * which side proposed it.
     */
    public readonly string $direction,
    public readonly int $uid,
    public readonly string $entraId,
    /**
     * The Entra user as the library described it: userPrincipalName,
     * displayName, mail, accountEnabled, privileged, matched_on.
     *
     * @var array<string, mixed>
     */
    public readonly array $candidate,
    /**
     * Entra -> Drupal: the Drupal values the import would write once the
     * link is approved (name, mail, status, fields).
     *
     * @var array<string, mixed>
     */
    public readonly array $values,
    array $reasons,
    public readonly string $status,
    public readonly int $created,
    public readonly int $changed
  ) {
    if (!in_array($direction, [ModuleSettings::DIRECTION_DRUPAL_TO_ENTRA, ModuleSettings::DIRECTION_ENTRA_TO_DRUPAL], TRUE)) {
      throw new \InvalidArgumentException(sprintf('Unknown match direction "%s".', $direction));
    }
    if (!in_array($status, self::STATUSES, TRUE)) {
      throw new \InvalidArgumentException(sprintf('Unknown match status "%s".', $status));
    }
    $this->reasons = array_values(array_filter($reasons, 'is_string'));
  }

  /**
   * A new proposal (id 0 until stored).
   *
   * @param array<string, mixed> $candidate
   * @param array<string, mixed> $values
   * @param list<string> $reasons
   */
  public static function propose(string $direction, int $uid, string $entraId, array $candidate, array $values, array $reasons, string $status, int $now): self {
    return new self(0, $direction, $uid, $entraId, $candidate, $values, $reasons, $status, $now, $now);
  }

  /**
   * What matched, in an admin's words.
   */
  public function matchedOn(): string {
    $on = (string) ($this->candidate['matched_on'] ?? '');

    return $on !== '' ? $on : 'userPrincipalName';
  }

  /**
   * The Entra user's UPN, or its object id.
   */
  public function entraName(): string {
    $upn = $this->candidate['userPrincipalName'] ?? NULL;

    return is_string($upn) && $upn !== '' ? $upn : $this->entraId;
  }

  /**
   * @return array<string, int|string>
   */
  public function toRow(): array {
    return [
      'direction' => $this->direction,
      'uid' => $this->uid,
      'entra_id' => $this->entraId,
      'candidate' => (string) json_encode($this->candidate, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PARTIAL_OUTPUT_ON_ERROR),
      'drupal_values' => (string) json_encode((object) $this->values, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PARTIAL_OUTPUT_ON_ERROR),
      'reasons' => (string) json_encode($this->reasons, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PARTIAL_OUTPUT_ON_ERROR),
      'status' => $this->status,
      'created' => $this->created,
      'changed' => $this->changed,
    ];
  }

  /**
   * @param array<string, mixed> $row
   *   A row of entra_provisioning_match.
   */
  public static function fromRow(array $row): self {
    $json = static function ($value): array {
      $decoded = is_string($value) ? json_decode($value, TRUE) : NULL;

      return is_array($decoded) ? $decoded : [];
    };

    return new self(
      (int) ($row['id'] ?? 0),
      (string) $row['direction'],
      (int) $row['uid'],
      (string) $row['entra_id'],
      $json($row['candidate'] ?? NULL),
      $json($row['drupal_values'] ?? NULL),
      array_values(array_filter($json($row['reasons'] ?? NULL), 'is_string')),
      (string) ($row['status'] ?? self::STATUS_PENDING),
      (int) ($row['created'] ?? 0),
      (int) ($row['changed'] ?? 0)
    );
  }

}
