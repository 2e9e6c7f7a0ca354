<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Native;

/**
 * What the library says about itself (entra_describe): the module builds its
 * forms, limits and checks from these facts instead of keeping copies.
 */
final class LibraryFacts {

  /**
   * @param array<string, mixed> $facts
   *   The decoded entra_describe result.
   */
  public function __construct(private array $facts) {
  }

  /**
   * The most users one bulk call takes.
   */
  public function maxUsersPerCall(): int {
    return (int) ($this->facts['bulk']['max_users_per_call'] ?? 0);
  }

  /**
   * How many users one bulk call carries while other processes share the
   * quota (QuotaWorkers::sendInCalls()).
   */
  public function usersPerSharedCall(): int {
    return max(1, (int) ($this->facts['bulk']['users_per_shared_call'] ?? 1));
  }

  /**
   * The configuration's default value of $key (timeout_ms, max_retries, ...).
   *
   * @return mixed
   */
  public function configDefault(string $key) {
    return $this->facts['config']['defaults'][$key] ?? NULL;
  }

  /**
   * The inclusive range the configuration accepts for $key, or null.
   *
   * @return array{0: int, 1: int}|null
   */
  public function configRange(string $key): ?array {
    $range = $this->facts['config']['ranges'][$key] ?? NULL;

    return is_array($range) && count($range) === 2 ? [(int) $range[0], (int) $range[1]] : NULL;
  }

  /**
   * The configuration fields every connection needs, then those of the
   * credential type ("client_secret" or "client_certificate").
   *
   * @return list<string>
   */
  public function requiredFields(string $credential): array {
    $required = $this->facts['config']['required'] ?? [];
    $own = $this->facts['config']['credentials'][$credential] ?? [];

    return array_values(array_filter(array_merge(is_array($required) ? $required : [], is_array($own) ? $own : []), 'is_string'));
  }

  /**
   * Cloud name => ['label', 'login_endpoint', 'graph_endpoint'].
   *
   * @return array<string, array{label: string, login_endpoint: string, graph_endpoint: string}>
   */
  public function clouds(): array {
    $clouds = [];
    foreach ($this->facts['clouds'] ?? [] as $cloud) {
      if (is_array($cloud) && is_string($cloud['name'] ?? NULL)) {
        $clouds[$cloud['name']] = [
          'label' => (string) ($cloud['label'] ?? $cloud['name']),
          'login_endpoint' => (string) ($cloud['login_endpoint'] ?? ''),
          'graph_endpoint' => (string) ($cloud['graph_endpoint'] ?? ''),
        ];
      }
    }

    return $clouds;
  }

  /**
   * The Graph application permission a direction needs ("" if unknown).
   */
  public function permission(string $direction): string {
    foreach ($this->facts['directions'] ?? [] as $entry) {
      if (is_array($entry) && ($entry['name'] ?? NULL) === $direction) {
        return (string) ($entry['permission'] ?? '');
      }
    }

    return '';
  }

  /**
   * The direction names the library knows.
   *
   * @return list<string>
   */
  public function directions(): array {
    $names = [];
    foreach ($this->facts['directions'] ?? [] as $entry) {
      if (is_array($entry) && is_string($entry['name'] ?? NULL)) {
        $names[] = $entry['name'];
      }
    }

    return $names;
  }

  /**
   * Feature name => ['permission' => least privileged, 'satisfied_by' =>
   * the granted permissions that include it].
   *
   * The features: provision_users, import_users (the directions'),
   * read_group_memberships, write_group_memberships.
   *
   * @return array<string, array{permission: string, satisfied_by: list<string>}>
   */
  public function features(): array {
    $features = [];
    foreach ($this->facts['features'] ?? [] as $entry) {
      if (is_array($entry) && is_string($entry['name'] ?? NULL)) {
        $features[$entry['name']] = [
          'permission' => (string) ($entry['permission'] ?? ''),
          'satisfied_by' => array_values(array_map('strval', (array) ($entry['satisfied_by'] ?? []))),
        ];
      }
    }

    return $features;
  }

  /**
   * The Graph application permission a feature needs ("" if unknown).
   */
  public function featurePermission(string $feature): string {
    return $this->features()[$feature]['permission'] ?? '';
  }

  /**
   * Status code => ['name' => C constant, 'kind', 'retryable', 'title'].
   *
   * @return array<int, array{name: string, kind: string, retryable: bool, title: string}>
   */
  public function statuses(): array {
    $statuses = [];
    foreach ($this->facts['statuses'] ?? [] as $entry) {
      if (is_array($entry) && is_int($entry['status'] ?? NULL)) {
        $statuses[$entry['status']] = [
          'name' => (string) ($entry['name'] ?? ''),
          'kind' => (string) ($entry['kind'] ?? ''),
          'retryable' => (bool) ($entry['retryable'] ?? FALSE),
          'title' => (string) ($entry['title'] ?? ''),
        ];
      }
    }

    return $statuses;
  }

}
