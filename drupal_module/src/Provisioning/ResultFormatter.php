<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

use Drupal\entra_provisioning\Native\Exception\EntraException;

/**
 * Turns library results and errors into what an admin reads: the cause, the
 * AADSTS or Graph code, the HTTP status, the request-id and what to fix.
 *
 * The facts (kind, codes, hint) come from the library; this class only lays
 * them out. A per-kind fallback "what to check" is used only when the library
 * gave no hint.
 */
final class ResultFormatter
{
    private const TITLES = [
        'auth' => 'Authentication failed',
        'permission' => 'Permission missing',
        'config' => 'Configuration invalid',
        'validation' => 'Rejected by Entra ID validation',
        'conflict' => 'Conflict in Entra ID',
        'not_found' => 'Not found in Entra ID',
        'throttled' => 'Throttled by Microsoft Graph',
        'transient' => 'Microsoft Graph temporarily unavailable',
        'graph' => 'Microsoft Graph error',
        'unavailable' => 'Native library unavailable',
        'invalid_argument' => 'Invalid request to the native library',
        'panic' => 'Internal error in the native library',
        'internal' => 'Internal error',
    ];

    private const FALLBACK_FIX = [
        'auth' => 'Check the tenant ID, the application (client) ID and the client secret (it may have expired) on step 1.',
        'permission' => 'Grant the application permission User.ReadWrite.All (type Application) and give admin consent in Entra ID > App registrations > API permissions.',
        'config' => 'Correct the named field on step 1.',
        'validation' => 'Correct the Drupal account or the attribute mapping on step 3.',
        'conflict' => 'Another Entra object already uses this value; rename one of them.',
        'throttled' => 'Nothing to do: the work stays queued and is retried after the Retry-After delay.',
        'transient' => 'Nothing to do: the work stays queued and is retried later.',
        'not_found' => 'Check that the user or object exists in the tenant (the test user on step 1, or the linked account).',
        'graph' => 'Look the Graph error code and request-id up in the Entra ID sign-in and audit logs, or give them to Microsoft support.',
        'unavailable' => 'See Reports > Status report, section Entra ID provisioning.',
        'invalid_argument' => 'Report this as a bug of the module, with the message.',
        'panic' => 'Report this as a bug of the native library, with the message.',
    ];

    /**
     * Structured description of a failure.
     *
     * @return array{kind: string, title: string, message: string, code: ?string, aadsts: ?string, graph_code: ?string, http_status: ?int, request_id: ?string, field: ?string, fix: ?string, retryable: bool, retry_after: ?float, scope: string}
     */
    public function describeError(\Throwable $e): array
    {
        if ($e instanceof EntraException) {
            $kind = $e->kind();
            $aadsts = $e->aadsts();
            $graphCode = $e->graphCode();
            $hint = $e->hint();

            return [
                'kind' => $kind,
                'title' => self::TITLES[$kind] ?? 'Error',
                'message' => $e->detailMessage(),
                'code' => $aadsts ?? $graphCode,
                'aadsts' => $aadsts,
                'graph_code' => $graphCode,
                'http_status' => $e->httpStatus(),
                'request_id' => $e->requestId(),
                'field' => $e->field(),
                'fix' => $hint ?? (self::FALLBACK_FIX[$kind] ?? null),
                'retryable' => $e->isRetryable(),
                'retry_after' => $e->retryAfterSeconds(),
                'scope' => $e->scope(),
            ];
        }

        return [
            'kind' => 'internal',
            'title' => self::TITLES['internal'],
            'message' => get_class($e) . ': ' . $e->getMessage(),
            'code' => null,
            'aadsts' => null,
            'graph_code' => null,
            'http_status' => null,
            'request_id' => null,
            'field' => null,
            'fix' => null,
            'retryable' => false,
            'retry_after' => null,
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
    public function summary(array $error): string
    {
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
    public function errorRows(array $error): array
    {
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
    public function attributeRows(array $attributes): array
    {
        ksort($attributes, SORT_STRING | SORT_FLAG_CASE);
        $rows = [];
        foreach ($attributes as $name => $value) {
            if (is_array($value)) {
                $value = json_encode($value, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE) ?: '';
            } elseif (is_bool($value)) {
                $value = $value ? 'true' : 'false';
            } elseif ($value === null) {
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
    public function successSummary(string $name, array $result): string
    {
        $action = (string) ($result['action'] ?? 'provisioned');
        $verb = $action === 'created' ? 'Created' : ($action === 'linked' ? 'Linked existing' : ucfirst($action));
        $line = sprintf('%s Entra ID account %s (object id %s) for Drupal user %s', $verb, (string) ($result['userPrincipalName'] ?? '?'), (string) ($result['id'] ?? '?'), $name);
        if (!empty($result['request_id'])) {
            $line .= sprintf(' (request-id %s)', (string) $result['request_id']);
        }

        return $line . '.';
    }
}
