using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Derbes.Web.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class DisclosureRegister : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "Disclosures",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    DisclosedOn = table.Column<DateOnly>(type: "date", nullable: false),
                    RecordedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    RecordedBy = table.Column<Guid>(type: "uuid", nullable: false),
                    RecipientKind = table.Column<int>(type: "integer", nullable: false),
                    RecipientName = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    Basis = table.Column<int>(type: "integer", nullable: false),
                    RequestNumber = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    RequestDate = table.Column<DateOnly>(type: "date", nullable: true),
                    LegalArticle = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    Purpose = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: false),
                    Categories = table.Column<int>(type: "integer", nullable: false),
                    Channel = table.Column<int>(type: "integer", nullable: false),
                    ApprovedBy = table.Column<Guid>(type: "uuid", nullable: false),
                    Confidential = table.Column<bool>(type: "boolean", nullable: false),
                    ConfidentialityLiftedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    ConfidentialityLiftedBy = table.Column<Guid>(type: "uuid", nullable: true),
                    CustomerCount = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Disclosures", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "DisclosureSubjects",
                columns: table => new
                {
                    DisclosureId = table.Column<long>(type: "bigint", nullable: false),
                    AccountId = table.Column<Guid>(type: "uuid", nullable: false),
                    NotifiedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DisclosureSubjects", x => new { x.DisclosureId, x.AccountId });
                    table.ForeignKey(
                        name: "FK_DisclosureSubjects_Disclosures_DisclosureId",
                        column: x => x.DisclosureId,
                        principalTable: "Disclosures",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Disclosures_DisclosedOn",
                table: "Disclosures",
                column: "DisclosedOn");

            migrationBuilder.CreateIndex(
                name: "IX_DisclosureSubjects_AccountId",
                table: "DisclosureSubjects",
                column: "AccountId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "DisclosureSubjects");

            migrationBuilder.DropTable(
                name: "Disclosures");
        }
    }
}
