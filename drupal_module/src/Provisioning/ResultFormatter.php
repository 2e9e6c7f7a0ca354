<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

use Drupal\entra_provisioning\Native\Exception\EntraException;

/**
 * Turns library results and errors into what an admin reads: the cause, the
 * AADSTS or Graph code, the HTTP status, the request-id and what to fix.
 *
 * The facts (kind, title, codes, hint) come from the library, which gives
 * every error a title and a hint; this class only lays them out. The two
 * failures the library cannot describe, because they happen before it or
 * outside it, have their words here.
 */
final class ResultFormatter {

  /**
   * Failures outside the library: it could not be loaded ("unavailable"),
   * or PHP itself failed ("internal").
   */
  private const OUTSIDE_THE_LIBRARY = [
    'unavailable' => ['title' => 'Native library unavailable', 'fix' => 'See Reports > Status report, section Entra ID provisioning.'],
    'internal' => ['title' => 'Internal error', 'fix' => NULL],
  ];

  /**
   * Structured description of a failure.
   *
   * @return array{kind: string, title: string, message: string, code: ?string, aadsts: ?string, graph_code: ?string, http_status: ?int, request_id: ?string, field: ?string, fix: ?string, retryable: bool, retry_after: ?float, scope: string}
   */
  public function describeError(\Throwable $e): array {
    if ($e instanceof EntraException) {
      $kind = $e->kind();
      $aadsts = $e->aadsts();
      $graphCode = $e->graphCode();
      $hint = $e->hint();

      return [
        'kind' => $kind,
        'title' => $e->title() ?? (self::OUTSIDE_THE_LIBRARY[$kind]['title'] ?? 'Error'),
        'message' => $e->detailMessage(),
        'code' => $aadsts ?? $graphCode,
        'aadsts' => $aadsts,
        'graph_code' => $graphCode,
        'http_status' => $e->httpStatus(),
        'request_id' => $e->requestId(),
        'field' => $e->field(),
        'fix' => $hint ?? (self::OUTSIDE_THE_LIBRARY[$kind]['fix'] ?? NULL),
        'retryable' => $e->isRetryable(),
        'retry_after' => $e->retryAfterSeconds(),
        'scope' => $e->scope(),
      ];
    }

    return [
      'kind' => 'internal',
      'title' => self::OUTSIDE_THE_LIBRARY['internal']['title'],
      'message' => get_class($e) . ': ' . $e->getMessage(),
      'code' => NULL,
      'aadsts' => NULL,
      'graph_code' => NULL,
      'http_status' => NULL,
      'request_id' => NULL,
      'field' => NULL,
      'fix' => NULL,
      'retryable' => FALSE,
      'retry_after' => NULL,
      // Not the library's: a bug or a broken environment, for every user.
      'scope' => 'connection',
    ];
  }

  /**
   * One line naming everything known about a failure.
   *
   * @param array<string, mixed> $error
   *   A describeError() result.
   */
  public function summary(array $error): string {
    $facts = [];
    if (!empty($error['code'])) {
      $facts[] = (string) $error['code'];
    }
    if (!empty($error['http_status'])) {
      $facts[] = 'HTTP ' . $error['http_status'];
    }
    if (!empty($error['field'])) {
      $facts[] = 'field ' . $error['field'];
    }
    if (!empty($error['request_id'])) {
      $facts[] = 'request-id ' . $error['request_id'];
    }
    $line = ($error['title'] ?? 'Error') . ': ' . rtrim((string) ($error['message'] ?? ''), '. ');
    if ($facts !== []) {
      $line .= ' (' . implode(', ', $facts) . ')';
    }
    $line .= '.';
    if (!empty($error['fix'])) {
      $line .= ' Fix: ' . $error['fix'];
    }

    return $line;
  }

  /**
   * Labelled rows of a failure, for a details table.
   *
   * @param array<string, mixed> $error
   *
   * @return list<array{0: string, 1: string}>
   */
  public function errorRows(array $error): array {
    $rows = [['Cause', (string) ($error['title'] ?? 'Error')], ['Kind', (string) ($error['kind'] ?? '')], ['Message', (string) ($error['message'] ?? '')]];
    foreach ([
      'aadsts' => 'AADSTS code',
      'graph_code' => 'Graph error code',
      'http_status' => 'HTTP status',
      'field' => 'Field',
      'request_id' => 'Request-id',
      'retry_after' => 'Retry after (s)',
      'fix' => 'What to fix',
    ] as $key => $label) {
      if (isset($error[$key]) && $error[$key] !== '') {
        $rows[] = [$label, (string) $error[$key]];
      }
    }

    return $rows;
  }

  /**
   * The attributes of a test connection, as sorted [name, value] rows.
   *
   * @param array<string, mixed> $attributes
   *
   * @return list<array{0: string, 1: string}>
   */
  public function attributeRows(array $attributes): array {
    ksort($attributes, SORT_STRING | SORT_FLAG_CASE);
    $rows = [];
    foreach ($attributes as $name => $value) {
      if (is_array($value)) {
        $value = json_encode($value, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE) ?: '';
      }
      elseif (is_bool($value)) {
        $value = $value ? 'true' : 'false';
      }
      elseif ($value === NULL) {
        $value = '(none)';
      }
      $rows[] = [(string) $name, (string) $value];
    }

    return $rows;
  }

  /**
   * One line for a successful provisioning result.
   *
   * @param array<string, mixed> $result
   *   The provisionUser() result (action, id, userPrincipalName, request_id).
   */
  public function successSummary(string $name, array $result): string {
    $action = (string) ($result['action'] ?? 'provisioned');
    $verb = $action === 'created' ? 'Created' : ($action === 'linked' ? 'Linked existing' : ucfirst($action));
    $line = sprintf('%s Entra ID account %s (object id %s) for Drupal user %s', $verb, (string) ($result['userPrincipalName'] ?? '?'), (string) ($result['id'] ?? '?'), $name);
    if (!empty($result['request_id'])) {
      $line .= sprintf(' (request-id %s)', (string) $result['request_id']);
    }

    return $line . '.';
  }

}
