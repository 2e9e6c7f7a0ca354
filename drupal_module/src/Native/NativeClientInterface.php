<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Native;

/**
 * The operations of the native Entra provisioning library, as PHP arrays.
 *
 * EntraNative implements it over FFI; services depend on this interface so
 * they can be unit-tested with a fake. Every method throws a subclass of
 * Exception\EntraException on failure (the class tells the kind).
 *
 * A "Drupal user" array is:
 *   ['uid' => 5, 'name' => 'jdoe', 'mail' => 'j@example.com', 'status' => 1,
 *    'roles' => ['authenticated'], 'fields' => ['field_first_name' => 'Jane']]
 */
interface NativeClientInterface {

  /**
   * The version string of the native library.
   */
  public function version(): string;

  /**
   * Gets a token and reads one user, proving credentials and permissions.
   *
   * @param string[] $directions
   *   'drupal_to_entra' and/or 'entra_to_drupal': the permissions to check.
   * @param string[] $features
   *   Further features switched on, by the names entra_describe lists under
   *   "features" ('read_group_memberships', 'write_group_memberships'); an
   *   unknown name is a ValidationException.
   *
   * @return array<string, mixed>
   *   ['attributes' => [...], 'request_id' => '...',
   *    'granted_permissions' => string[]|null,
   *    'missing_permissions' => string[]|null]
   */
  public function testConnection(string $upn, array $directions = [], array $features = []): array;

  /**
   * The Graph user body that provisioning would POST (no network; the
   * password is shown as "[REDACTED]").
   *
   * @param array<string, mixed> $drupalUser
   *
   * @return array<string, mixed>
   */
  public function mapUser(array $drupalUser): array;

  /**
   * Looks a user up by exactly one of upn, mail or id.
   *
   * @param array<string, string> $query
   *   ['upn' => '...'] or ['mail' => '...'] or ['id' => '...'].
   *
   * @return array<string, mixed>
   *   ['found' => bool, 'user' => array|null]
   */
  public function findUser(array $query): array;

  /**
   * Creates the Entra user.
   *
   * When the UPN or mail is already held in Entra, nothing is sent to that
   * account: a ConflictException whose existing() names it (id,
   * userPrincipalName, displayName, mail, accountEnabled, privileged,
   * matched_on). Whether to link is decided by decide().
   *
   * @param array<string, mixed> $drupalUser
   *
   * @return array<string, mixed>
   *   ['action' => 'created', 'id', 'userPrincipalName',
   *    'updated_properties' => [...], 'request_id']
   */
  public function provisionUser(array $drupalUser): array;

  /**
   * Updates the mapped properties of a linked Entra user.
   *
   * @param array<string, mixed> $drupalUser
   * @param array<string, mixed>|null $link
   *   The link's facts ['provenance' => 'created'|'approved'|'matched'|null,
   *   'deprovision_matched' => bool]: a link that may not deprovision
   *   never changes accountEnabled or mail. Null: unrestricted.
   * @param bool $syncMail
   *   Send the Drupal e-mail address as Entra's mail (off by default:
   *   Drupal does not verify a changed address).
   * @param bool $syncStatus
   *   Send the Drupal status as accountEnabled; false leaves it as it is.
   *
   * @return array<string, mixed>
   *   ['action' => 'updated'|'unchanged', 'id', 'userPrincipalName',
   *    'updated_properties' => [...]]
   */
  public function updateUser(string $entraId, array $drupalUser, ?array $link = NULL, bool $syncMail = FALSE, bool $syncStatus = TRUE): array;

  /**
   * Carries out an approved (or automatically allowed) link: checks that
   * the Entra user exists and writes only its mapped profile properties.
   *
   * @param array<string, mixed> $drupalUser
   *
   * @return array<string, mixed>
   *   ['action' => 'linked', 'id', 'userPrincipalName',
   *    'updated_properties' => [...], 'request_id']
   */
  public function linkUser(string $entraId, array $drupalUser): array;

  /**
   * Asks the library's identity-matching rules (no network).
   *
   * @param array<string, mixed> $question
   *   ['decide' => 'entra_candidate'|'drupal_candidate'|'deprovision'|
   *   'import_write'|'import_removal'|'removal_round'|'removal_budget',
   *   ...facts], see the README.
   *
   * @return array<string, mixed>
   */
  public function decide(array $question): array;

  /**
   * The overall time budget of each following call; null = the library's
   * default. A wait that would outlast it is not started: the call throws
   * a ThrottledException with the delay instead.
   */
  public function setCallBudgetMs(?int $milliseconds): void;

  /**
   * Sets accountEnabled=false.
   *
   * @return array<string, mixed>
   *   ['action' => 'disabled'|'already_deleted', 'id']
   */
  public function disableUser(string $entraId): array;

  /**
   * Sets accountEnabled=true (and nothing else).
   *
   * @return array<string, mixed>
   *   ['action' => 'enabled'|'already_deleted', 'id']
   */
  public function enableUser(string $entraId): array;

  /**
   * Deletes the user (Entra keeps it restorable for 30 days).
   *
   * @return array<string, mixed>
   *   ['action' => 'deleted'|'already_deleted', 'id']
   */
  public function deleteUser(string $entraId): array;

  /**
   * Provisions many users; one failure does not stop the others.
   *
   * @param list<array<string, mixed>> $drupalUsers
   * @param int $workers
   *   How many processes of the site write to Graph now, this one included
   *   (QuotaWorkers): the call keeps to its equal part of the write budget.
   *
   * @return array<string, mixed>
   *   ['results' => [one entry per input, in input order:
   *      ['uid', 'ok' => true, 'action', 'id', 'userPrincipalName'] or
   *      ['uid', 'ok' => false, 'error' => <error JSON>]],
   *    'summary' => ['created' => n, 'linked' => n, 'failed' => n]]
   *   At most 1000 users per call (the library refuses more): send chunks.
   */
  public function bulkProvision(array $drupalUsers, int $workers = 1): array;

  /**
   * Entra → Drupal: one call of the users delta query.
   *
   * @param array<string, mixed> $request
   *   ['link' => null|'<nextLink or deltaLink>', 'start_from_now' => bool,
   *    'max_pages' => int, 'include_guests' => bool]; [] = full sync. With
   *   group rules or an import scope also 'groups' => ['ids' => [group ids],
   *   'link' => null|'<groups nextLink or deltaLink>']: each upsert then
   *   carries 'member_of' and the answer 'groups' => ['changes' => [['id',
   *   'member_of']], 'next_link', 'delta_link', 'resync_required',
   *   'nesting_changed', 'tracked_group_ids'] (docs/groups.md).
   *
   * @return array<string, mixed>
   *   ['changes' => [['op' => 'upsert', 'id', 'userPrincipalName',
   *      'drupal' => [name, mail, status, fields], 'attributes'] |
   *      ['op' => 'removed', 'id', 'reason' => 'changed'|'deleted'], ...],
   *    'next_link' => ?string, 'delta_link' => ?string,
   *    'resync_required' => bool, 'skipped_guests' => int]
   *   Call again with next_link until a delta_link arrives; store that for
   *   the next round; on resync_required start over without a link.
   */
  public function importDelta(array $request = []): array;

  /**
   * Group reads (entra_groups), see docs/groups.md.
   *
   * @param array<string, mixed> $request
   *   ['op' => 'get', 'ids' => [...]] | ['op' => 'search', 'query' => '...',
   *   'top' => 25] | ['op' => 'member_counts', 'ids' => [...]] |
   *   ['op' => 'member_of', 'user_ids' => [...], 'group_ids' => [...]] |
   *   ['op' => 'members', 'group_id' => '...'].
   *
   * @return array<string, mixed>
   *   get/search: ['groups' => [[Graph group properties..., 'target' =>
   *   ['allowed' => bool, 'reason' => ?string, 'message' => ?string]]],
   *   'missing' => [ids] (get only)]; member_counts: ['counts' => [id => n],
   *   'missing' => [...]]; member_of: ['member_of' => [user id => [group
   *   ids]], 'missing_users' => [...]]; members: ['group_id', 'user_ids'].
   */
  public function groups(array $request): array;

  /**
   * Adds a user to, or removes one from, an Entra group
   * (entra_group_membership). The group is checked first; a refused group
   * gets no request.
   *
   * @param string $op
   *   'add' or 'remove'.
   *
   * @return array<string, mixed>
   *   ['action' => 'added'|'already_member'|'removed'|'not_member'|
   *   'refused', 'group_id', 'user_id', 'reason' => ?string,
   *   'message' => ?string, 'request_id' => ?string]
   */
  public function groupMembership(string $op, string $groupId, string $userId): array;
}
